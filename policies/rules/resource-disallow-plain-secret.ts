import { commandLines, deployDirOf, filesWritten } from "../lib/heredocs";
import type { Finding } from "../lib/finding";
import { COMMAND_TYPE, SERVER_RESOURCE_TYPE } from "../lib/stack";
import { stackCheck, type OrionStackPolicy } from "../lib/policy";

/**
 * The pack sees secrets already decrypted, so it recognises them by shape:
 * a password inside a connection URL, a password-like setting with a literal
 * value, or a Redis password directive. `${VAR}` references to the env file
 * are what the program writes.
 */
const URL_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+:([^\s@/'"]+)@/gi;
// sudoers' NOPASSWD tag is a rule, not a password.
const PASSWORD_SETTING =
  /\b(?!NOPASSWD\b)([A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|BASIC_AUTH|API_KEY|PASSPHRASE)[A-Z0-9_]*|password|passwd|secret|token)\s*[=:]\s*['"]?([^\s'"$]{4,})/g;
const REDIS_PASSWORD = /^\s*(requirepass|masterauth|sentinel\s+auth-pass\s+\S+)\s+['"]?([^\s'"$]{4,})/gim;

/** Properties that carry secrets by design (the program marks them secret, and tests check it), and outputs the program does not send. */
const SKIPPED: Record<string, string[]> = {
  [COMMAND_TYPE]: ["stdin", "connection.privateKey", "connection.password", "stdout", "stderr", "create"],
  "pulumi:providers:docker": ["registryAuth"],
  "pulumi:providers:hcloud": ["token"],
};

function mask(secret: string): string {
  return `${secret.slice(0, 2)}${"*".repeat(Math.max(3, secret.length - 2))}`;
}

function strings(value: unknown, path: string, skip: string[]): { path: string; text: string }[] {
  if (skip.some((s) => path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`))) return [];
  if (typeof value === "string") return [{ path, text: value }];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    strings(v, Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k, skip),
  );
}

/** Secrets by shape in one text, line by line. */
function secretsIn(text: string): { line: number; key: string; secret: string; url: boolean }[] {
  const found: { line: number; key: string; secret: string; url: boolean }[] = [];
  text.split("\n").forEach((line, i) => {
    for (const m of line.matchAll(URL_PASSWORD))
      if (!m[1].startsWith("${") && !m[1].startsWith("$"))
        found.push({ line: i + 1, key: "URL", secret: m[1], url: true });
    for (const m of line.matchAll(PASSWORD_SETTING)) {
      // POSTGRES_PASSWORD_FILE=/etc/...: a *_FILE setting names the file that holds the secret, not the secret.
      if (m[1].endsWith("_FILE") && m[2].startsWith("/")) continue;
      // ${HASH_VAR:-none}: compose's default for an interpolated variable, not a value set here.
      if (line.slice(Math.max(0, (m.index ?? 0) - 2), m.index).endsWith("${")) continue;
      found.push({ line: i + 1, key: m[1], secret: m[2], url: false });
    }
    for (const m of line.matchAll(REDIS_PASSWORD))
      found.push({ line: i + 1, key: m[1].replace(/\s+/g, " "), secret: m[2], url: false });
  });
  return found;
}

const problemOf = (s: { key: string; secret: string; url: boolean }) =>
  s.url
    ? `a URL with the password ${mask(s.secret)} in plain text`
    : `${s.key} is set to ${mask(s.secret)} in plain text`;
const FIX = "pass it through a Pulumi secret into the env file (stdin) and refer to it as ${VAR}";

export const resourceDisallowPlainSecret: OrionStackPolicy = {
  name: "resource-disallow-plain-secret",
  description:
    "No password or token may appear in a file a deploy writes, in a command, or in any plain resource property.",
  enforcementLevel: "mandatory",
  reads: [
    "every file a deploy command writes, line by line",
    "the commands of every script",
    "every other plain property of every resource (not `stdin` and the other secret inputs)",
  ],
  validateStack: stackCheck((view, report) => {
    const serverOf = new Map(view.commands.map((c) => [c.command.urn, c.server?.name]));
    for (const r of view.resources) {
      const owner: Pick<Finding, "server" | "resource" | "urn"> =
        r.type === SERVER_RESOURCE_TYPE
          ? { server: r.name, urn: r.urn }
          : serverOf.get(r.urn)
            ? { server: serverOf.get(r.urn), urn: r.urn }
            : { resource: `resource ${r.name} (${r.type})`, urn: r.urn };
      for (const { path, text } of strings(r.props, "", SKIPPED[r.type] ?? [])) {
        for (const s of secretsIn(text)) report({ ...owner, key: path, problem: problemOf(s), fix: FIX });
      }
      const script = r.type === COMMAND_TYPE ? r.props.create : undefined;
      if (typeof script !== "string") continue;
      for (const { line, text } of commandLines(script)) {
        for (const s of secretsIn(text))
          report({ ...owner, file: `${r.name} script`, line, key: s.key, problem: problemOf(s), fix: FIX });
      }
      for (const file of filesWritten(script, deployDirOf(script)).values()) {
        for (const s of secretsIn(file.content))
          report({ ...owner, file: file.path, line: s.line, key: s.key, problem: problemOf(s), fix: FIX });
      }
    }
  }),
};
