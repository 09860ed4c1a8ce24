import { METRICS, type MetricId } from "./metrics";
import { THRESHOLDS } from "./thresholds";
import { BACKUP_ALERTS } from "../backup";

/** `none`: the Watchdog, which goes to the dead man's switch and never to a person. */
export type Severity = "none" | "info" | "warning" | "critical";

export interface AlertRule {
  alert: string;
  /** The metric compared, `expr > threshold` unless `op` says otherwise; absent where `expr` says it all. */
  metric?: MetricId;
  threshold: number;
  op?: ">" | "<" | "==";
  /** A whole expression instead of metric, op and threshold. */
  expr?: string;
  for: string;
  severity: Severity;
  summary: string;
  /** The guide's scaling action, or what to do. */
  action: string;
}

const T = THRESHOLDS;

/** Every threshold in the guide's "Key Metrics to Watch", and two for the memory limits themselves. */
export const ALERTS: AlertRule[] = [
  {
    alert: "HostMemoryHigh",
    metric: "hostRamPercent",
    threshold: T.hostRamAlertPercent,
    for: "5m",
    severity: "warning",
    summary: `Host RAM above ${T.hostRamAlertPercent}%`,
    action: "Find the container that grew (Grafana: Container memory); if it is load, not a leak, plan the next stage.",
  },
  {
    alert: "HostMemoryScaleSignal",
    metric: "hostRamPercent",
    threshold: T.hostRamScalePercent,
    for: T.sustainedFor,
    severity: "info",
    summary: `Host RAM sustained above ${T.hostRamScalePercent}%`,
    action:
      "Guide: upgrade the server (CAX11 -> CAX21): `pulumi config set orion:stage early-growth`, or a larger orion:serverTypes entry, then `pulumi up`.",
  },
  {
    alert: "HostCpuHigh",
    metric: "hostCpuPercent",
    threshold: T.hostCpuAlertPercent,
    for: T.hostCpuAlertFor,
    severity: "warning",
    summary: `Host CPU above ${T.hostCpuAlertPercent}% for ${T.hostCpuAlertFor}`,
    action: "Check Container CPU for the busiest service.",
  },
  {
    alert: "HostCpuScaleSignal",
    metric: "hostCpuPercent",
    threshold: T.hostCpuScalePercent,
    for: T.sustainedFor,
    severity: "info",
    summary: `Host CPU sustained above ${T.hostCpuScalePercent}%`,
    action: "Guide: add Uvicorn workers or upgrade the CPU (a larger server type).",
  },
  {
    alert: "DiskUsageWarning",
    metric: "diskPercent",
    threshold: T.diskWarningPercent,
    for: "10m",
    severity: "warning",
    summary: `Disk above ${T.diskWarningPercent}%`,
    action: "Guide: clean logs/backups or upgrade the disk (orion:pgdataVolumeGb for the database).",
  },
  {
    alert: "DiskUsageCritical",
    metric: "diskPercent",
    threshold: T.diskCriticalPercent,
    for: "5m",
    severity: "critical",
    summary: `Disk above ${T.diskCriticalPercent}%`,
    action: "Free space now: docker system prune, old backups and logs; PostgreSQL stops writing on a full disk.",
  },
  {
    alert: "ApiLatencyHigh",
    metric: "apiP95Seconds",
    threshold: T.apiP95AlertSeconds,
    for: "5m",
    severity: "warning",
    summary: `API P95 latency above ${T.apiP95AlertSeconds}s`,
    action:
      "Guide: if DB queries are slow, add PgBouncer or increase the pool size (orion:stage growth); otherwise add Uvicorn workers or upgrade the CPU.",
  },
  {
    alert: "ApiLatencyInvestigate",
    metric: "apiP95Seconds",
    threshold: T.apiP95InvestigateSeconds,
    for: "15m",
    severity: "info",
    summary: `API P95 latency above ${T.apiP95InvestigateSeconds}s`,
    action: "Guide: investigate: slow queries (pg_stat_statements), slow endpoints.",
  },
  {
    alert: "PostgresConnectionsHigh",
    metric: "postgresActiveConnections",
    threshold: T.postgresActiveConnections,
    for: "5m",
    severity: "warning",
    summary: `More than ${T.postgresActiveConnections} active PostgreSQL connections`,
    action: "Guide: add PgBouncer for connection pooling (orion:stage growth).",
  },
  {
    alert: "RedisMemoryHigh",
    metric: "redisMemoryBytes",
    threshold: T.redisMemoryBytes,
    for: "5m",
    severity: "warning",
    summary: "Redis memory above 100 MB",
    action:
      "Guide: scale the Redis limit (orion:memoryLimits.redis) or check for cache keys without a TTL; the queue may be backing up.",
  },
  {
    alert: "CeleryQueueBacklog",
    metric: "celeryQueueLength",
    threshold: T.celeryQueueLength,
    for: T.celeryQueueFor,
    severity: "warning",
    summary: `Celery queue above ${T.celeryQueueLength} tasks for ${T.celeryQueueFor}`,
    action: "Guide: add celery-worker replicas (orion:replicas.celery-worker).",
  },
  {
    alert: "ContainerNearMemoryLimit",
    metric: "containerMemoryOfLimit",
    threshold: T.containerMemoryOfLimit,
    for: "5m",
    severity: "warning",
    summary: "A container uses more than 90% of its memory limit",
    action: "Raise its limit with orion:memoryLimits (npm run plan checks that it fits) or find the leak.",
  },
  {
    alert: "DatabaseBackupTooOld",
    metric: "backupAgeSeconds",
    threshold: BACKUP_ALERTS.maxAgeHours * 3600,
    for: "5m",
    severity: "critical",
    summary: `No database backup in the bucket for ${BACKUP_ALERTS.maxAgeHours} hours`,
    action:
      "Read the scheduler's log on the database server (docker compose -p orion logs pgbackrest): upload errors, wrong keys (orion:backupAccessKey) or a missing bucket (orion:backupBucket); run one by hand: docker compose -p orion exec pgbackrest bash /etc/pgbackrest/bin/orion-backup --once.",
  },
  {
    alert: "WalArchivingFailing",
    metric: "walArchiveFailures",
    threshold: 0,
    for: BACKUP_ALERTS.archiveFailingFor,
    severity: "critical",
    summary: `WAL archiving to the bucket has failed for ${BACKUP_ALERTS.archiveFailingFor}`,
    action:
      "PostgreSQL cannot push WAL to Object Storage (docker compose -p orion logs db names pgBackRest's error); until it can, point-in-time recovery stops at the last pushed segment and WAL grows on the pgdata volume.",
  },
  {
    alert: "ContainerOomKilled",
    metric: "containerOomKills",
    threshold: 0,
    for: "0m",
    severity: "critical",
    summary: "A container was OOM-killed",
    action:
      "Raise its limit with orion:memoryLimits (npm run plan checks that it fits); the guide bumped celery-beat and flower to 256 MB after one.",
  },
];

/**
 * What every production stack alerts on besides the guide's metrics: a
 * target or the API gone, a container crash-looping or failing its health
 * check, the database volume filling up, and a Watchdog that always fires so
 * that a dead man's switch outside the servers notices when alerting itself is down.
 */
export const PRODUCTION_ALERTS: AlertRule[] = [
  {
    alert: "TargetDown",
    metric: "targetUp",
    op: "<",
    threshold: 1,
    for: "3m",
    severity: "warning",
    summary: "A scrape target does not answer",
    action:
      "ssh to the server and run `docker compose -p orion ps`; a stopped exporter hides the metrics every other alert needs.",
  },
  {
    alert: "ApiDown",
    metric: "apiUp",
    op: "<",
    threshold: 1,
    for: "2m",
    severity: "critical",
    summary: "The API does not answer on its server",
    action:
      "`docker compose -p orion logs api` on the server; the load balancer or Caddy sends no requests to an API that does not answer.",
  },
  {
    alert: "ContainerRestarting",
    metric: "containerRestarts",
    threshold: THRESHOLDS.containerRestartsIn15m,
    for: "5m",
    severity: "warning",
    summary: "A container restarted more than twice in 15 minutes",
    action: "`docker compose -p orion logs <service>`: a crash loop; an OOM kill shows in ContainerOomKilled.",
  },
  {
    alert: "ContainerUnhealthy",
    metric: "containerHealth",
    op: "==",
    threshold: 0,
    for: "5m",
    severity: "warning",
    summary: "A container fails its health check",
    action:
      "`docker inspect <container>` shows what the check saw under State.Health; Docker does not restart an unhealthy container by itself.",
  },
  {
    alert: "PgdataDiskWarning",
    metric: "pgdataDiskPercent",
    threshold: T.diskWarningPercent,
    for: "10m",
    severity: "warning",
    summary: `Database volume above ${T.diskWarningPercent}%`,
    action: "Grow the volume: raise orion:pgdataVolumeGb and `pulumi up` (Hetzner grows it online; it never shrinks).",
  },
  {
    alert: "PgdataDiskCritical",
    metric: "pgdataDiskPercent",
    threshold: T.diskCriticalPercent,
    for: "5m",
    severity: "critical",
    summary: `Database volume above ${T.diskCriticalPercent}%`,
    action: "Raise orion:pgdataVolumeGb now; PostgreSQL stops writing when the volume is full.",
  },
  {
    alert: "Watchdog",
    threshold: 0,
    expr: "vector(1)",
    for: "0m",
    severity: "none",
    summary: "Always firing: alerting works",
    action:
      "Nothing: the dead man's switch at orion:watchdogUrl expects this every few minutes and raises the alarm when it stops.",
  },
];

export const ALL_ALERTS: AlertRule[] = [...ALERTS, ...PRODUCTION_ALERTS];

export function alertExpr(rule: AlertRule): string {
  return rule.expr ?? `${METRICS[rule.metric!].expr} ${rule.op ?? ">"} ${rule.threshold}`;
}
