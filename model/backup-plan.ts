import {
  BACKUP_SCHEDULE,
  OBJECT_STORAGE,
  REPOSITORY_PATH,
  STANZA,
  archiveQueueMaxMb,
  maxSlotWalKeepSizeMb,
  runsPostgres,
} from "./backup";
import type { OrionConfig } from "./config";
import type { PlannedBackup, PlannedServer } from "./plan-types";

/** Where and how the database is backed up, from the config and the planned servers. */
export function planBackup(servers: PlannedServer[], config: OrionConfig): PlannedBackup {
  const b = config.databaseBackups;
  const primary = servers.find((s) => s.services.some((x) => x.name === "db"));
  return {
    bucket: b.bucket,
    endpoint: b.endpoint ?? OBJECT_STORAGE.endpoint(config.location),
    caCert: b.caCert,
    uriStyle: b.endpoint ? "path" : "host",
    // Hetzner's region is the location; other S3 servers ignore it or take any name.
    region: config.location,
    stanza: STANZA,
    repositoryPath: REPOSITORY_PATH,
    servers: servers.filter(runsPostgres).map((s) => s.name),
    primary: primary?.name ?? "",
    archiveTimeoutSeconds: b.archiveTimeoutSeconds,
    retentionDays: b.retentionDays,
    fullEveryDays: BACKUP_SCHEDULE.fullEveryDays,
    dailyAtHourUtc: BACKUP_SCHEDULE.dailyAtHourUtc,
    cipher: "aes-256-cbc",
    priceEurMonthly: OBJECT_STORAGE.baseEurMonthly,
  };
}

/** The archiving settings each PostgreSQL server gets in postgresql.conf. */
export function postgresArchiving(config: OrionConfig): {
  archiveTimeoutSeconds: number;
  maxSlotWalKeepSizeMb: number;
  archiveQueueMaxMb: number;
} {
  return {
    archiveTimeoutSeconds: config.databaseBackups.archiveTimeoutSeconds,
    maxSlotWalKeepSizeMb: maxSlotWalKeepSizeMb(config.pgdataVolumeGb),
    archiveQueueMaxMb: archiveQueueMaxMb(config.pgdataVolumeGb),
  };
}
