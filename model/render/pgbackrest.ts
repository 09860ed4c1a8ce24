import { createHash } from "node:crypto";
import { BACKUP_SCHEDULE, PGBACKREST_DEBIAN_VERSION, PGBACKREST_TUNING } from "../backup";
import type { Plan, PlannedServer } from "../plan-types";
import { SERVICES } from "../services";
import { pgbouncerIni } from "./conf-files";
import { DB_USER } from "./service-configs";
import { ARCHIVE_GET_SCRIPT, BACKUP_SCRIPT, GUARD_SCRIPT, RESTORE_SCRIPT } from "./pgbackrest-scripts";

/**
 * pgBackRest inside the database's containers. The archive command must run
 * where PostgreSQL runs, and the official postgres image has no pgBackRest, so
 * db, db-replica and the pgbackrest scheduler share one image: the pinned
 * postgres image plus Debian's pgbackrest package, built on the server by
 * `docker compose up` from a Dockerfile the deploy writes. It follows the
 * database wherever the plan puts it (the app server, then the db server from
 * scale on), and a replica carries it too, so a promoted replica archives
 * with the same settings.
 */

/** Paths inside the containers. */
export const PGBACKREST_PATHS = {
  configDir: "/etc/pgbackrest",
  config: "/etc/pgbackrest/pgbackrest.conf",
  caFile: "/etc/pgbackrest/ca.pem",
  bin: "/etc/pgbackrest/bin",
  /** PostgreSQL's socket directory, shared with the scheduler: pgBackRest talks to a local PostgreSQL only over its socket. */
  socketDir: "/var/run/postgresql",
  pgdata: "/var/lib/postgresql/data/pgdata",
  metricsDir: "/var/lib/orion/metrics",
} as const;

/** The env file's names for the repository's secrets; pgBackRest reads any option from `PGBACKREST_<OPTION>`. */
export const PGBACKREST_SECRET_ENV = {
  accessKey: "PGBACKREST_REPO1_S3_KEY",
  secretKey: "PGBACKREST_REPO1_S3_KEY_SECRET",
  passphrase: "PGBACKREST_REPO1_CIPHER_PASS",
} as const;

/** Where the build context (one Dockerfile) lives in the compose project. */
export const IMAGE_BUILD_DIR = "build/postgres";

/** pgbackrest.conf: the repository, its encryption and retention, and the local PostgreSQL. No secret is in it. */
export function renderPgbackrestConf(plan: Plan, server: PlannedServer, options: { caCert: boolean }): string {
  const b = plan.backup;
  const [host, port] = b.endpoint.split(":");
  const db = server.services.find((s) => s.name === "db" || s.name === "db-replica")!;
  return pgbouncerIni({
    global: {
      "repo1-type": "s3",
      "repo1-path": b.repositoryPath,
      "repo1-s3-bucket": b.bucket ?? "",
      "repo1-s3-endpoint": host,
      ...(port ? { "repo1-storage-port": Number(port) } : {}),
      "repo1-s3-region": b.region,
      "repo1-s3-uri-style": b.uriStyle,
      ...(options.caCert ? { "repo1-storage-ca-file": PGBACKREST_PATHS.caFile } : {}),
      // Encrypted before it leaves the server; the passphrase comes from the env file.
      "repo1-cipher-type": b.cipher,
      // Keep what a restore to any moment of the last N days needs (full backups and the WAL after them).
      "repo1-retention-full-type": "time",
      "repo1-retention-full": b.retentionDays,
      // Small files go into bundles: fewer objects and requests in the bucket.
      "repo1-bundle": "y",
      "compress-type": PGBACKREST_TUNING.compressType,
      "buffer-size": PGBACKREST_TUNING.bufferSize,
      "process-max": PGBACKREST_TUNING.processMax,
      // Backups run at night: a checkpoint at once instead of waiting for the next one.
      "start-fast": "y",
      "archive-push-queue-max": `${db.postgres!.archiveQueueMaxMb}MiB`,
      // Logs go to the container's output (docker logs), where the operator looks.
      "log-level-console": "info",
      "log-level-file": "off",
    },
    [b.stanza]: {
      "pg1-path": PGBACKREST_PATHS.pgdata,
      "pg1-port": SERVICES.db.port!,
      "pg1-socket-path": PGBACKREST_PATHS.socketDir,
      // The official image makes POSTGRES_USER the superuser; there is no `postgres` role.
      "pg1-user": DB_USER,
    },
  });
}

/** The Dockerfile of the database image: the postgres image pinned by digest, plus pgBackRest and jq. */
export function renderDockerfile(baseImage: string): string {
  return [
    "# The postgres image with pgBackRest, built on the server by `docker compose up` (model/render/pgbackrest.ts).",
    `FROM ${baseImage}`,
    // Debian's package: the version the restore drill runs (model/backup.ts). jq reads `pgbackrest info --output=json`.
    "RUN apt-get update \\",
    ` && apt-get install -y --no-install-recommends pgbackrest=${PGBACKREST_DEBIAN_VERSION} jq \\`,
    " && rm -rf /var/lib/apt/lists/*",
    "",
  ].join("\n");
}

/**
 * The image's name: its content decides the tag, so a new base digest or
 * pgBackRest version is a new name that compose builds, and an unchanged
 * one is reused. The name has no registry: it is never pulled.
 */
export function pgbackrestImage(baseImage: string): string {
  const tag = createHash("sha256").update(renderDockerfile(baseImage)).digest("hex").slice(0, 12);
  const postgres = /:(\d+\.\d+)/.exec(baseImage)?.[1] ?? "15";
  return `orion-postgres:${postgres}-pgbackrest${PGBACKREST_DEBIAN_VERSION.split("-")[0]}-${tag}`;
}

/** Files of one server's project for pgBackRest, by path under the deploy directory. */
export function pgbackrestFiles(
  plan: Plan,
  server: PlannedServer,
  baseImage: string,
  caCert?: string,
): Record<string, string> {
  return {
    [`${IMAGE_BUILD_DIR}/Dockerfile`]: renderDockerfile(baseImage),
    "config/pgbackrest/pgbackrest.conf": renderPgbackrestConf(plan, server, { caCert: caCert !== undefined }),
    ...(caCert ? { "config/pgbackrest/ca.pem": caCert.endsWith("\n") ? caCert : `${caCert}\n` } : {}),
    "config/pgbackrest/bin/orion-backup": backupScript(plan),
    "config/pgbackrest/bin/orion-restore": scriptWithSettings(RESTORE_SCRIPT, { stanza: plan.backup.stanza }),
    "config/pgbackrest/bin/orion-archive-get": scriptWithSettings(ARCHIVE_GET_SCRIPT, { stanza: plan.backup.stanza }),
    "config/pgbackrest/bin/orion-guard": scriptWithSettings(GUARD_SCRIPT, { stanza: plan.backup.stanza }),
  };
}

export function backupScript(plan: Plan): string {
  return scriptWithSettings(BACKUP_SCRIPT, {
    stanza: plan.backup.stanza,
    full_every_days: plan.backup.fullEveryDays,
    daily_hour_utc: plan.backup.dailyAtHourUtc,
    check_every_seconds: BACKUP_SCHEDULE.checkEverySeconds,
  });
}

/** A script with its settings as shell assignments after the shebang; values are plain words and numbers only. */
function scriptWithSettings(script: string, settings: Record<string, string | number>): string {
  const lines = Object.entries(settings).map(([k, v]) => {
    if (!/^[A-Za-z0-9_.:/-]+$/.test(String(v)))
      throw new Error(`script setting ${k} must be a plain word, got ${JSON.stringify(v)}`);
    return `${k}=${v}`;
  });
  const [shebang, ...rest] = script.split("\n");
  return [shebang, "# Settings from the plan (model/render/pgbackrest.ts):", ...lines, ...rest].join("\n");
}

/** Services that run in the image with pgBackRest. */
export const PGBACKREST_IMAGE_SERVICES = ["db", "db-replica", "pgbackrest"] as const;

/** The three secrets, passed from the env file by name (never by value) to each container that runs pgBackRest. */
export function pgbackrestSecretEnvironment(): Record<string, string> {
  return Object.fromEntries(Object.values(PGBACKREST_SECRET_ENV).map((name) => [name, `\${${name}}`]));
}

/**
 * Compose's `image` and `build` for a service in the image with pgBackRest,
 * from the pinned base reference. `if_not_present` (the Compose Specification's older name for `missing`, which Debian's docker-compose 1.29 also reads): an image of that name already on
 * the server (built by an earlier deploy, or loaded by the test bed) is used as
 * it is; otherwise compose's pull finds nothing and it builds.
 */
export function pgbackrestImageKeys(baseImage: string): {
  image: string;
  build: { context: string };
  pull_policy: "if_not_present";
} {
  return {
    image: pgbackrestImage(baseImage),
    build: { context: `./${IMAGE_BUILD_DIR}` },
    pull_policy: "if_not_present",
  };
}

/** Mounts every container running pgBackRest needs beside the data: its config and scripts, and PostgreSQL's socket. */
export const PGBACKREST_MOUNTS = [
  `./config/pgbackrest:${PGBACKREST_PATHS.configDir}:ro`,
  `pg-socket:${PGBACKREST_PATHS.socketDir}`,
];

/** The scheduler's metrics, shared with node-exporter's textfile collector. */
export const BACKUP_METRICS_VOLUME = "backup-metrics";
