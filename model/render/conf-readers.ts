/**
 * Readers for the config dialects that conf-files.ts writes, so that the
 * policy pack reads a deployed file the way the program (PostgreSQL,
 * PgBouncer, Redis) will, not the way the program meant to write it. Every
 * entry keeps its 1-based line so that a message can point at it.
 */

export interface ConfEntry {
  key: string;
  value: string;
  line: number;
}

/** Strips a `#` comment that is not inside quotes. */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#") return line.slice(0, i);
  }
  return line;
}

/**
 * postgresql.conf: `name = value` or `name value`, `#` comments, strings in
 * single quotes with `''` for a quote. Names are case-insensitive and the last
 * occurrence wins, as PostgreSQL reads them. `include*` directives are kept
 * as entries so that a reader can refuse what it cannot follow.
 */
export function readPostgresqlConf(text: string): Map<string, ConfEntry> {
  const entries = new Map<string, ConfEntry>();
  text.split("\n").forEach((raw, index) => {
    const line = withoutComment(raw).trim();
    const match = /^([A-Za-z_][A-Za-z0-9_.]*)\s*(?:=\s*|\s+)(.*)$/.exec(line);
    if (!match) return;
    let value = match[2].trim();
    if (value.startsWith("'")) {
      const end = /^'((?:[^']|'')*)'/.exec(value);
      value = end ? end[1].replace(/''/g, "'") : value.slice(1);
    }
    const key = match[1].toLowerCase();
    entries.set(key, { key, value, line: index + 1 });
  });
  return entries;
}

export interface HbaRecord {
  /** `local`, `host`, `hostssl`, `hostnossl`, `hostgssenc`, `hostnogssenc`. */
  type: string;
  database: string;
  user: string;
  /** An address, a CIDR range, a host name or a keyword (`all`, `samehost`, `samenet`); absent for `local`. */
  address?: string;
  /** The IP mask, when the record gives the address and its mask in two fields. */
  mask?: string;
  method: string;
  line: number;
}

/** pg_hba.conf: one record a line, whitespace-separated fields, `#` comments. */
export function readPgHba(text: string): HbaRecord[] {
  const records: HbaRecord[] = [];
  text.split("\n").forEach((raw, index) => {
    const fields = withoutComment(raw)
      .trim()
      .split(/\s+/)
      .filter((f) => f !== "");
    if (fields.length === 0) return;
    const [type, database, user, ...rest] = fields;
    if (type === "local") {
      records.push({ type, database, user, method: rest[0] ?? "", line: index + 1 });
      return;
    }
    const address = rest[0];
    const maskGiven = rest[1] !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(rest[1]) && !address?.includes("/");
    records.push({
      type,
      database,
      user,
      address,
      ...(maskGiven ? { mask: rest[1] } : {}),
      method: rest[maskGiven ? 2 : 1] ?? "",
      line: index + 1,
    });
  });
  return records;
}

/** INI as PgBouncer and pgBackRest read it: `[section]`, then `key = value` where the value is the rest of the line. */
export function readIniSections(text: string): Record<string, Map<string, ConfEntry>> {
  const sections: Record<string, Map<string, ConfEntry>> = {};
  let current: Map<string, ConfEntry> | undefined;
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith(";") || line.startsWith("#")) return;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      current = sections[section[1].trim().toLowerCase()] ??= new Map();
      return;
    }
    const match = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (match && current) {
      const key = match[1].trim().toLowerCase();
      current.set(key, { key, value: match[2].trim(), line: index + 1 });
    }
  });
  return sections;
}

export interface RedisDirective {
  name: string;
  args: string[];
  line: number;
}

/** Splits a redis.conf line into arguments: spaces separate, double quotes (with escapes) and single quotes group. */
function redisArgs(line: string): string[] {
  const args: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(pattern)) args.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? m[3]));
  return args;
}

/** redis.conf and sentinel.conf: one directive a line; names are case-insensitive. */
export function readRedisConf(text: string): RedisDirective[] {
  const directives: RedisDirective[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const [name, ...args] = redisArgs(line);
    directives.push({ name: name.toLowerCase(), args, line: index + 1 });
  });
  return directives;
}
