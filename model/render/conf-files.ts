/**
 * Writers for the config dialects that no YAML/INI library writes correctly.
 * The `ini` package quotes values that contain `=`, and PgBouncer then
 * rejects `orion = "host=db ..."`; redis.conf and postgresql.conf are not INI at all.
 */

function checkedValue(key: string, value: string | number): string {
  const text = String(value);
  if (/[\r\n]/.test(text)) throw new Error(`config value for ${key} contains a line break`);
  return text;
}

/** PgBouncer's INI: `[section]` then `key = value`, values unquoted. */
export function pgbouncerIni(sections: Record<string, Record<string, string | number>>): string {
  return Object.entries(sections)
    .map(([section, entries]) =>
      [`[${section}]`, ...Object.entries(entries).map(([k, v]) => `${k} = ${checkedValue(k, v)}`)].join("\n"),
    )
    .join("\n\n")
    .concat("\n");
}

/** postgresql.conf: `key = value`, strings in single quotes. */
export function postgresqlConf(settings: Record<string, string | number | boolean>): string {
  const quote = (v: string | number | boolean) =>
    typeof v === "string" && !/^\d+(MB|GB|kB)?$/.test(v)
      ? `'${v.replace(/'/g, "''")}'`
      : typeof v === "boolean"
        ? v
          ? "on"
          : "off"
        : String(v);
  return Object.entries(settings)
    .map(([k, v]) => `${k} = ${checkedValue(k, quote(v))}`)
    .join("\n")
    .concat("\n");
}

/** redis.conf and sentinel.conf: one directive a line, arguments separated by spaces. */
export function redisConf(directives: [string, ...(string | number)[]][]): string {
  // An empty argument (`save ""` turns snapshots off) must be written as a pair of quotes.
  return directives
    .map(([name, ...args]) => [name, ...args.map((a) => (a === "" ? '""' : checkedValue(name, a)))].join(" "))
    .join("\n")
    .concat("\n");
}
