import { dropStartIntervalOnOldEngines } from "../../model/render/start-interval";

/**
 * The one change a deploy may make to its compose file after writing it: on
 * an engine before 25, which Compose refuses a file with `start_interval`
 * for, drop the start probes' cadence (model/render/start-interval.ts). No
 * policy reads it, and only this exact line is let through.
 */
const ENGINE_ADAPTATION = dropStartIntervalOnOldEngines("compose.yaml");

/** A file that a deploy command writes, with the script line where its content starts. */
export interface WrittenFile {
  path: string;
  content: string;
  /** 1-based line of the script holding the file's first line. */
  scriptLine: number;
}

/** `'it'"'"'s'` and friends: a shell word made of quoted and plain parts. */
function shellWord(word: string): string {
  return [...word.matchAll(/'([^']*)'|"((?:[^"\\]|\\.)*)"|([^'"\s]+)/g)]
    .map((m) => m[1] ?? m[2]?.replace(/\\(.)/g, "$1") ?? m[3])
    .join("");
}

/**
 * Every file a script writes with `cat > PATH <<'END'` (or `<<END`, `<<-END`),
 * in order. A path written twice keeps its last content, as the shell would.
 * Paths are relative to the compose project's folder, as the script `cd`s there.
 */
export function filesWritten(script: string, deployDir: string): Map<string, WrittenFile> {
  const files = new Map<string, WrittenFile>();
  const lines = script.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*cat\s*>\s*((?:'[^']*'|"[^"]*"|[^\s<])+)\s*<<(-?)\s*(?:'([^']+)'|"([^"]+)"|(\w+))\s*$/.exec(lines[i]);
    if (!m) continue;
    const end = m[3] ?? m[4] ?? m[5];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && (m[2] ? lines[j].replace(/^\t+/, "") : lines[j]) !== end; j++)
      body.push(m[2] ? lines[j].replace(/^\t+/, "") : lines[j]);
    let path = shellWord(m[1]).replace(/^\.\//, "");
    if (path.startsWith(`${deployDir}/`)) path = path.slice(deployDir.length + 1);
    files.set(path, { path, content: body.length > 0 ? `${body.join("\n")}\n` : "", scriptLine: i + 2 });
    i = j;
  }
  return files;
}

/** The folder the script works in: its first `cd`. */
export function deployDirOf(script: string): string {
  const m = /^\s*cd\s+(\S+)/m.exec(script);
  return m ? shellWord(m[1]).replace(/\/$/, "") : "";
}

/** The script's own lines, outside heredoc bodies, with their line numbers in the script. */
export function commandLines(script: string): { line: number; text: string }[] {
  const body = new Set<number>();
  for (const file of filesWritten(script, deployDirOf(script)).values()) {
    const count = file.content === "" ? 0 : file.content.split("\n").length - 1;
    // The body, then the closing delimiter line.
    for (let n = file.scriptLine; n <= file.scriptLine + count; n++) body.add(n);
  }
  return script.split("\n").flatMap((text, i) => (body.has(i + 1) ? [] : [{ line: i + 1, text }]));
}

/**
 * The folder the heredocs are written in when the script stages them: a
 * relative `cd` right after the first one (`cd /opt/orion`, `cd .staging`).
 * The deploy writes and checks every file there before any replaces a live one.
 */
export function stagingDirOf(script: string): string | undefined {
  const cds = [...script.matchAll(/^\s*cd\s+(\S+)\s*$/gm)].map((m) => shellWord(m[1]).replace(/\/$/, ""));
  return cds.length > 1 && !cds[1].startsWith("/") && !cds[1].includes("..") ? cds[1] : undefined;
}

/** `mv -f STAGING/PATH PATH`: a staged file moved into place whole, so the file that runs is the one its heredoc wrote. */
function isSwitch(text: string, staging: string, written: string[]): boolean {
  const m = /^\s*mv\s+(?:-f\s+)?(\S+)\s+(\S+)\s*$/.exec(text);
  if (!m) return false;
  const [from, to] = [shellWord(m[1]), shellWord(m[2])];
  return written.includes(to) && from === `${staging}/${to}`;
}

const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Command lines that change a file after its heredoc wrote it (`>`, `>>`,
 * `sed -i`, `tee`, the target of `mv` or `cp`...). The pack reads each file
 * as its heredoc carries it, so such a change would go unseen.
 */
export function rewrites(script: string): { path: string; line: number }[] {
  const dir = deployDirOf(script);
  const staging = stagingDirOf(script);
  const written = [...filesWritten(script, dir).keys()];
  const found: { path: string; line: number }[] = [];
  for (const { line, text } of commandLines(script)) {
    if (/^\s*cat\s*>[^>]/.test(text) && /<<-?\s*['"]?\w+['"]?\s*$/.test(text)) continue; // a heredoc's own first line
    if (staging && isSwitch(text, staging, written)) continue;
    if (text.trim() === ENGINE_ADAPTATION) continue;
    for (const path of written) {
      const names = [
        path,
        `./${path}`,
        ...(dir ? [`${dir}/${path}`] : []),
        ...(staging ? [`${staging}/${path}`, ...(dir ? [`${dir}/${staging}/${path}`] : [])] : []),
      ];
      const spelled = names.map((p) => `(?:'${escapeRe(p)}'|"${escapeRe(p)}"|${escapeRe(p)})(?=$|[\\s;&|)])`).join("|");
      const target = `(?:${spelled})`;
      const patterns = [
        `>>?\\s*${target}`,
        `\\b(?:sed|perl)\\b[^;&|]*\\s-i\\S*[^;&|]*\\s${target}`,
        `\\btee\\b[^;&|]*\\s${target}`,
        `\\b(?:mv|cp|install|ln|rsync|truncate|dd)\\b[^;&|]*\\s(?:of=)?${target}\\s*(?:$|[;&|)])`,
      ];
      if (patterns.some((p) => new RegExp(p).test(text))) found.push({ path, line });
    }
  }
  return found;
}
