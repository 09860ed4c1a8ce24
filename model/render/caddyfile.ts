/**
 * A writer for the Caddyfile, Caddy's own config dialect: directives with
 * arguments and nested blocks, indented with tabs as `caddy fmt` writes them.
 * No library writes it; `caddy adapt` in the tests reads what this writes.
 */
export interface CaddyDirective {
  name: string;
  args?: (string | number)[];
  block?: CaddyDirective[];
}

export interface CaddySite {
  /** Site addresses: `orion.example.com`, `http://`. */
  addresses: string[];
  directives: CaddyDirective[];
}

/** A token as the Caddyfile lexer reads it back: quoted where it holds a space, a quote, a brace or a comment sign. */
function token(value: string | number): string {
  const text = String(value);
  if (/[\r\n]/.test(text)) throw new Error(`Caddyfile token ${JSON.stringify(text)} contains a line break`);
  return text === "" || /[\s"{}#`\\]/.test(text) ? `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"` : text;
}

function directive(d: CaddyDirective, depth: number): string[] {
  const indent = "\t".repeat(depth);
  const head = [d.name, ...(d.args ?? []).map(token)].join(" ");
  if (!d.block) return [`${indent}${head}`];
  return [`${indent}${head} {`, ...d.block.flatMap((child) => directive(child, depth + 1)), `${indent}}`];
}

export function caddyfile(global: CaddyDirective[], sites: CaddySite[]): string {
  const blocks = [
    ...(global.length > 0 ? [["{", ...global.flatMap((d) => directive(d, 1)), "}"].join("\n")] : []),
    ...sites.map((site) =>
      [`${site.addresses.map(token).join(", ")} {`, ...site.directives.flatMap((d) => directive(d, 1)), "}"].join("\n"),
    ),
  ];
  return blocks.join("\n\n").concat("\n");
}
