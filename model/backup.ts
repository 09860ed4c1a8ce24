import type { ArmLocation } from "./catalog";
import type { PlannedServer } from "./plan-types";
import { SERVICES, type ServiceName } from "./services";

/**
 * Backups of PostgreSQL with pgBackRest: WAL archived continuously, base
 * backups on a schedule, both encrypted on the database server before they
 * leave it, kept in an S3 bucket (Hetzner Object Storage by default).
 * Hetzner's server backups do not cover volumes (Hetzner's FAQ: snapshots and
 * backups "do not include any volumes which are attached to your server"), and
 * the database lives on the pgdata volume, so these are its only backups.
 */

/** pgBackRest's name for the database cluster: one per stack, in the stack's own bucket. */
export const STANZA = "orion";
/** Where in the bucket the repository lives, so the bucket can hold other things beside it. */
export const REPOSITORY_PATH = "/pgbackrest";

/**
 * The pgBackRest release the image installs and the tests run: Debian 12's
 * package, the distribution the official postgres image is built on. The restore
 * drill runs exactly this version; `.ci/run` installs it from the same archive.
 */
export const PGBACKREST_DEBIAN_VERSION = "2.45-1";

/** Defaults an operator would pick; each is an `orion:` key. */
export const BACKUP_DEFAULTS = {
  /** PostgreSQL's own advice for archive_timeout: "a minute or so is usually reasonable". It bounds the commits at risk (RPO). */
  archiveTimeoutSeconds: 60,
  /** Two weeks of point-in-time recovery: a bad migration found on the next sprint's Monday can still be undone. */
  retentionDays: 14,
} as const;

/** The schedule of base backups; WAL is archived continuously between them. */
export const BACKUP_SCHEDULE = {
  /** A full backup a week keeps a restore to at most one full plus one differential plus a day of WAL. */
  fullEveryDays: 7,
  /** Differential backups daily, at this hour (UTC): the quietest hour of a European store platform. */
  dailyAtHourUtc: 2,
  /** How often the scheduler looks at the repository (and refreshes the backup metrics). */
  checkEverySeconds: 300,
} as const;

/**
 * Alert thresholds for backups (model/monitoring reads them). One missed daily
 * backup is tolerated for two hours (a slow upload), not for a second day.
 */
export const BACKUP_ALERTS = {
  maxAgeHours: 26,
  archiveFailingFor: "5m",
} as const;

/**
 * Hetzner Object Storage: a monthly base price per project, whatever the number
 * of buckets, that includes 1 TB of storage and 1 TB of egress (Hetzner docs,
 * "Object Storage overview", pricing: "max. € 5.00" a month, excl. VAT). Usage
 * beyond that is billed per TB-hour and is not in the plan.
 */
export const OBJECT_STORAGE = {
  baseEurMonthly: 5.0,
  includedStorageTb: 1,
  endpoint: (location: ArmLocation) => `${location}.your-objectstorage.com`,
} as const;

/**
 * pgBackRest's memory knobs, chosen from measurements on loopback (pgBackRest
 * 2.45, a 400 MB database, see README "Backups and restore"): with 256 KiB
 * buffers and lz4, a backup peaks at 20 MB of anonymous memory (7 MB the
 * main process, 15 MB its one worker) and 26 MB of cgroup memory, and it still
 * completes inside a 24 MB cgroup; a restore peaks at 10 MB. zstd and 1 MiB
 * buffers cost 8 MB more for a smaller repository, which the 1 TB included in
 * the base price does not need on these database sizes.
 */
export const PGBACKREST_TUNING = {
  bufferSize: "256KiB",
  compressType: "lz4",
  processMax: 1,
} as const;

/**
 * Limit of the pgbackrest container on every database server: the measured
 * 26 MB cgroup peak of a backup, plus a quarter for a larger manifest (more
 * tables, more files). It fits the launch CAX11's 42 MB of headroom.
 */
export const PGBACKREST_MEMORY_MB = 32;

/**
 * WAL that replication slots may hold back, as a share of the pgdata volume.
 * A replica that stops consuming its slot would otherwise keep WAL until the
 * volume is full and PostgreSQL stops; past this much the slot is invalidated
 * (the replica then needs a new base backup) and the primary keeps running.
 * A fifth of the volume stays below the disk alerts' 80% on a volume that is
 * at most 60% full.
 */
export const SLOT_WAL_SHARE_OF_VOLUME = 0.2;

export function maxSlotWalKeepSizeMb(volumeGb: number): number {
  return Math.floor(volumeGb * 1024 * SLOT_WAL_SHARE_OF_VOLUME);
}

/**
 * The same bound for WAL waiting to be archived: if the bucket is unreachable
 * for long, pgBackRest drops WAL past this much (`archive-push-queue-max`) and
 * tells PostgreSQL it was archived, so the database keeps running. Point-in-time
 * recovery then has a gap until the next backup; the archiving alert has been
 * firing for hours by then.
 */
export function archiveQueueMaxMb(volumeGb: number): number {
  return maxSlotWalKeepSizeMb(volumeGb);
}

/** The services that run PostgreSQL and so archive WAL; each runs in the image with pgBackRest. */
export const ARCHIVING_SERVICES: readonly ServiceName[] = ["db", "db-replica"];

export function runsPostgres(server: Pick<PlannedServer, "services">): boolean {
  return server.services.some((s) => ARCHIVING_SERVICES.includes(s.name));
}

/**
 * Whether Hetzner's server backups protect anything on this server: data kept
 * on its own disk (Redis' append-only file, Prometheus, Grafana). A server whose
 * only data is PostgreSQL on a volume gains nothing from them, since they skip volumes.
 */
export function keepsDataOnDisk(server: Pick<PlannedServer, "services">): boolean {
  return server.services.some((s) => SERVICES[s.name].stateful && !ARCHIVING_SERVICES.includes(s.name));
}
