import { readPgHba, readPostgresqlConf, type HbaRecord } from "../../model/render/conf-readers";
import type { Deployment } from "../lib/stack";
import type { ComposeService } from "./compose";
import { commandWords, mountedFile } from "./services";
import { commandSetting, type Setting } from "./settings";

export interface PostgresConfig {
  /** postgresql.conf as deployed, relative to the compose project; undefined: the data directory's own. */
  file?: string;
  /** A config_file path that no deployed file provides. */
  missing?: string;
  settings: Map<string, Setting>;
  /** pg_hba.conf as deployed; undefined: the image's own, which admits every address. */
  hba?: { file: string; records: HbaRecord[] };
  /** Streams from a primary (pg_basebackup or primary_conninfo): it serves reads, not the app's writes. */
  replica: boolean;
}

/** PostgreSQL's defaults for the settings the checks read (PostgreSQL 15 documentation, "Resource Consumption" and "Connections"). */
export const POSTGRES_DEFAULTS: Record<string, string> = {
  max_connections: "100",
  superuser_reserved_connections: "3",
  shared_buffers: "128MB",
  work_mem: "4MB",
  maintenance_work_mem: "64MB",
};

/** Base unit in kB of a bare number, per setting (shared_buffers counts 8 kB pages; work_mem kB). */
const BASE_KB: Record<string, number> = {
  shared_buffers: 8,
  effective_cache_size: 8,
  work_mem: 1,
  maintenance_work_mem: 1,
};

/** A PostgreSQL memory setting in MB: units B, kB, MB, GB, TB (case-sensitive, as PostgreSQL reads them). */
export function postgresMemoryMb(name: string, value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|kB|MB|GB|TB)?\s*$/.exec(value);
  if (!m) return undefined;
  const kb =
    m[2] === undefined
      ? Number(m[1]) * (BASE_KB[name] ?? 1)
      : Number(m[1]) * { B: 1 / 1024, kB: 1, MB: 1024, GB: 1024 ** 2, TB: 1024 ** 3 }[m[2] as "kB"];
  return kb / 1024;
}

/** `-c name=value`, `--name=value`, `-N`, `-B` on the postgres command line. */
function commandSettings(words: string[]): Map<string, string> {
  const found = new Map<string, string>();
  words.forEach((w, i) => {
    const pair =
      w === "-c"
        ? words[i + 1]
        : w.startsWith("--") && w.includes("=")
          ? w.slice(2)
          : w.startsWith("-c") && w.length > 2
            ? w.slice(2)
            : undefined;
    if (pair?.includes("="))
      found.set(pair.slice(0, pair.indexOf("=")).toLowerCase().replace(/-/g, "_"), pair.slice(pair.indexOf("=") + 1));
    if (w === "-N" && words[i + 1]) found.set("max_connections", words[i + 1]);
    if (w === "-B" && words[i + 1]) found.set("shared_buffers", words[i + 1]);
  });
  return found;
}

/** The settings PostgreSQL starts with: its config file (through the bind mounts), overridden by its command line. */
export function postgresConfig(deployment: Deployment, service: ComposeService, composePath: string): PostgresConfig {
  const words = commandWords(service);
  const fromCommand = commandSettings(words);
  const settings = new Map<string, Setting>();
  const result: PostgresConfig = { settings, replica: words.some((w) => w.includes("pg_basebackup")) };
  const configFile = fromCommand.get("config_file");
  if (configFile) {
    const mounted = mountedFile(deployment, service, configFile);
    if (mounted?.file) {
      result.file = mounted.path;
      for (const [key, entry] of readPostgresqlConf(mounted.file.content))
        settings.set(key, { value: entry.value, file: mounted.path, line: entry.line, key });
    } else result.missing = configFile;
  }
  const where = commandSetting(deployment, service, composePath);
  for (const [key, value] of fromCommand) settings.set(key, { value, ...where });
  if (settings.has("primary_conninfo")) result.replica = true;
  const hbaPath = settings.get("hba_file")?.value;
  if (hbaPath) {
    const mounted = mountedFile(deployment, service, hbaPath);
    if (mounted?.file) result.hba = { file: mounted.path, records: readPgHba(mounted.file.content) };
  }
  return result;
}

/** A setting's value as PostgreSQL will use it: the file's or command's, else the default. */
export function settingOf(config: PostgresConfig, name: string): { value: string; setting?: Setting } {
  const setting = config.settings.get(name);
  return setting ? { value: setting.value, setting } : { value: POSTGRES_DEFAULTS[name] };
}
