// markdown-table 2.x (the last CommonJS release) ships no types.
declare module "markdown-table" {
  interface Options {
    align?: string | Array<"l" | "r" | "c" | "">;
    padding?: boolean;
    delimiterStart?: boolean;
    delimiterEnd?: boolean;
    alignDelimiters?: boolean;
  }
  function markdownTable(rows: string[][], options?: Options): string;
  export = markdownTable;
}
