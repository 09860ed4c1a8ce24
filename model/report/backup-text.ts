import { PGBACKREST_MEMORY_MB } from "../backup";
import type { Plan } from "../plan-types";
import { formatEur } from "../units";

/** The plan's backup section for the terminal: where, how often, how much can be lost, what it costs. */
export function renderBackupText(plan: Plan): string {
  const b = plan.backup;
  const bucket = b.bucket ? `s3://${b.bucket}${b.repositoryPath}` : "no bucket yet (orion:backupBucket)";
  const hetzner = plan.servers.filter((s) => s.serverBackups).map((s) => s.name);
  const skipped = plan.servers.filter((s) => s.holdsData && !s.serverBackups).map((s) => s.name);
  return [
    `Database backups (pgBackRest, ${PGBACKREST_MEMORY_MB} MB container beside PostgreSQL on ${b.servers.join(", ")}):`,
    `  repository ${bucket} at ${b.endpoint}, encrypted on the server (${b.cipher})`,
    `  WAL archived continuously, archive_timeout ${b.archiveTimeoutSeconds} s: a lost volume loses at most the last ${b.archiveTimeoutSeconds} s of commits (RPO)`,
    `  full backup every ${b.fullEveryDays} days, differential daily at ${String(b.dailyAtHourUtc).padStart(2, "0")}:00 UTC, from the primary (${b.primary})`,
    `  point-in-time recovery to any moment of the last ${b.retentionDays} days; Object Storage ${formatEur(b.priceEurMonthly)}/month (base price, 1 TB included)`,
    hetzner.length > 0
      ? `  Hetzner server backups (orion:backups) on ${hetzner.join(", ")}: their own disks (Redis, Prometheus, Grafana), never the database's volume`
      : "  Hetzner server backups (orion:backups): off",
    ...(skipped.length > 0
      ? [`  not bought for ${skipped.join(", ")}: their data is only on a volume, which Hetzner's backups skip`]
      : []),
  ].join("\n");
}
