import { readIniSections } from "../../model/render/conf-readers";
import type { Deployment } from "../lib/stack";
import type { ComposeService } from "./compose";
import { commandWords, mountedFile } from "./services";
import { environmentSetting, type Setting } from "./settings";

/** Where edoburu/pgbouncer (and PgBouncer's packages) read their config. */
const DEFAULT_INI = "/etc/pgbouncer/pgbouncer.ini";

/** PgBouncer's own defaults (pgbouncer.ini documentation). */
const PGBOUNCER_DEFAULTS: Record<string, string> = {
  max_client_conn: "100",
  default_pool_size: "20",
  reserve_pool_size: "0",
  max_db_connections: "0",
};

/** edoburu/pgbouncer writes pgbouncer.ini from these variables when no file is mounted. */
const IMAGE_ENV: Record<string, string> = {
  max_client_conn: "MAX_CLIENT_CONN",
  default_pool_size: "DEFAULT_POOL_SIZE",
  reserve_pool_size: "RESERVE_POOL_SIZE",
  max_db_connections: "MAX_DB_CONNECTIONS",
};

export interface PgbouncerConfig {
  file?: string;
  /** Databases in `[databases]`: PgBouncer keeps one pool for each (one user each here). */
  databases: number;
  /** Effective value and where it is set (undefined: PgBouncer's default). */
  get(name: "max_client_conn" | "default_pool_size" | "reserve_pool_size" | "max_db_connections"): {
    value: number;
    setting?: Setting;
  };
}

export function pgbouncerConfig(deployment: Deployment, service: ComposeService, composePath: string): PgbouncerConfig {
  const iniArg = commandWords(service).find((w) => w.endsWith(".ini"));
  const mounted = mountedFile(deployment, service, iniArg ?? DEFAULT_INI);
  const settings = new Map<string, Setting>();
  let databases = 1;
  if (mounted?.file) {
    const sections = readIniSections(mounted.file.content);
    databases = Math.max(1, sections.databases?.size ?? 0);
    for (const [key, entry] of sections.pgbouncer ?? new Map())
      settings.set(key, { value: entry.value, file: mounted.path, line: entry.line, key: `pgbouncer.${key}` });
  } else {
    for (const [key, env] of Object.entries(IMAGE_ENV)) {
      const setting = environmentSetting(deployment, service, composePath, env);
      if (setting) settings.set(key, setting);
    }
  }
  return {
    file: mounted?.file ? mounted.path : undefined,
    databases,
    get(name) {
      const setting = settings.get(name);
      return { value: Number(setting?.value ?? PGBOUNCER_DEFAULTS[name]), setting };
    },
  };
}
