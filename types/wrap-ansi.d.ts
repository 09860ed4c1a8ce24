// wrap-ansi 7.x (the last CommonJS release) ships no types.
declare module "wrap-ansi" {
  interface Options {
    hard?: boolean;
    wordWrap?: boolean;
    trim?: boolean;
  }
  function wrapAnsi(input: string, columns: number, options?: Options): string;
  export = wrapAnsi;
}
