/**
 * One violation, said the same way by every policy: where (server, file,
 * line, key), what is wrong, and what to change.
 */
export interface Finding {
  /** The server the violation is about; `resource` names what it is about otherwise, with its kind ("volume pgdata"). */
  server?: string;
  resource?: string;
  /** A file as the deploy writes it, relative to the compose project's folder. */
  file?: string;
  line?: number;
  /** The setting: a YAML path in a compose file, a key in a config file, a resource property. */
  key?: string;
  problem: string;
  fix: string;
  /** The resource the violation is reported on. */
  urn?: string;
}

export function formatFinding(f: Finding): string {
  const where = [
    f.server ? `server ${f.server}` : f.resource,
    f.file ? `${f.file}${f.line ? ` line ${f.line}` : ""}` : undefined,
  ]
    .filter(Boolean)
    .join(", ");
  return `${where}${f.key ? ` (${f.key})` : ""}: ${f.problem}. Fix: ${f.fix}.`;
}

export const mb = (value: number) => `${Math.round(value).toLocaleString("en-US")} MB`;
