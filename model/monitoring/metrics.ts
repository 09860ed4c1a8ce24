import { PGDATA_MOUNT_PATH } from "../plan";

/**
 * The guide's "Key Metrics to Watch" as PromQL, written once: the alert
 * rules, the Grafana dashboard and the scaling advisor all read them here.
 * Queries aggregate `by (server)` where the guide's sums over everything,
 * so that each server is judged on its own.
 */
export interface Metric {
  title: string;
  expr: string;
  unit: "percent" | "seconds" | "count" | "bytes" | "megabytes" | "ratio";
  /** The scrape job that provides the series: named when a metric is missing. */
  job: string;
}

export const METRICS = {
  // Guide: (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) * 100
  hostRamPercent: {
    title: "Host RAM used",
    expr: "(1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) * 100",
    unit: "percent",
    job: "node-exporter",
  },
  // Guide: 100 - (avg(rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100)
  hostCpuPercent: {
    title: "Host CPU used",
    expr: '100 - (avg by (server) (rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100)',
    unit: "percent",
    job: "node-exporter",
  },
  // Guide: (1 - node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"}) * 100
  diskPercent: {
    title: "Disk used (/)",
    expr: '(1 - node_filesystem_avail_bytes{mountpoint="/"} / node_filesystem_size_bytes{mountpoint="/"}) * 100',
    unit: "percent",
    job: "node-exporter",
  },
  // Guide: histogram_quantile(0.95, rate(http_request_duration_seconds_bucket[5m])), summed by le so replicas and workers combine.
  apiP95Seconds: {
    title: "API P95 latency",
    expr: "histogram_quantile(0.95, sum by (le, server) (rate(http_request_duration_seconds_bucket[5m])))",
    unit: "seconds",
    job: "api",
  },
  // Guide: pg_stat_activity_count ("Alert at >20 active")
  postgresActiveConnections: {
    title: "PostgreSQL active connections",
    expr: 'sum by (server) (pg_stat_activity_count{state="active"})',
    unit: "count",
    job: "postgres-exporter",
  },
  // Guide: redis_memory_used_bytes
  redisMemoryBytes: {
    title: "Redis memory used",
    expr: "redis_memory_used_bytes",
    unit: "bytes",
    job: "redis-exporter",
  },
  // The Celery queue is a Redis list; redis_exporter reports its length (REDIS_EXPORTER_CHECK_SINGLE_KEYS).
  celeryQueueLength: {
    title: "Celery queue length",
    expr: 'sum by (server) (redis_key_size{key="celery"})',
    unit: "count",
    job: "redis-exporter",
  },
  // Guide: container_memory_usage_bytes{name=~"orion.*"} / 1024 / 1024
  containerMemoryMb: {
    title: "Container memory",
    expr: 'container_memory_usage_bytes{name=~"orion.*"} / 1024 / 1024',
    unit: "megabytes",
    job: "cadvisor",
  },
  // Guide: rate(container_cpu_usage_seconds_total{name=~"orion.*"}[5m]) * 100
  containerCpuPercent: {
    title: "Container CPU",
    expr: 'rate(container_cpu_usage_seconds_total{name=~"orion.*"}[5m]) * 100',
    unit: "percent",
    job: "cadvisor",
  },
  // The working set is what the kernel weighs against the limit before an OOM kill.
  containerMemoryOfLimit: {
    title: "Container memory of its limit",
    expr: 'container_memory_working_set_bytes{name=~"orion.*"} / (container_spec_memory_limit_bytes{name=~"orion.*"} > 0)',
    unit: "ratio",
    job: "cadvisor",
  },
  containerOomKills: {
    title: "Container OOM kills",
    expr: 'increase(container_oom_events_total{name=~"orion.*"}[5m])',
    unit: "count",
    job: "cadvisor",
  },
  // Not in the guide: the guide's disk query covers `/` only, but PostgreSQL writes to the pgdata volume.
  pgdataDiskPercent: {
    title: `Disk used (${PGDATA_MOUNT_PATH})`,
    expr: `(1 - node_filesystem_avail_bytes{mountpoint="${PGDATA_MOUNT_PATH}"} / node_filesystem_size_bytes{mountpoint="${PGDATA_MOUNT_PATH}"}) * 100`,
    unit: "percent",
    job: "node-exporter",
  },
  // Prometheus' own record of each scrape: 1 when the target answered. The API's /metrics answers from the same Uvicorn workers as its requests.
  targetUp: { title: "Scrape targets up (besides the API)", expr: 'up{job!="api"}', unit: "count", job: "prometheus" },
  apiUp: { title: "API answering", expr: 'up{job="api"}', unit: "count", job: "api" },
  // A container's start time changes at each restart; Docker restarts a crashing one in place (restart: unless-stopped).
  containerRestarts: {
    title: "Container restarts (15 min)",
    expr: 'changes(container_start_time_seconds{name=~"orion.*"}[15m])',
    unit: "count",
    job: "cadvisor",
  },
  // cAdvisor 0.55+: 1 healthy, 0 starting or unhealthy, -1 no healthcheck (google/cadvisor metrics/prometheus.go, getContainerHealthState).
  containerHealth: {
    title: "Container health check (1 healthy, 0 failing, -1 none)",
    expr: 'container_health_state{name=~"orion.*"}',
    unit: "count",
    job: "cadvisor",
  },
  // The backup scheduler reads the repository itself and writes the newest backup's time for node-exporter's textfile collector.
  backupAgeSeconds: {
    title: "Age of the newest database backup",
    expr: "time() - max by (server) (orion_backup_last_success_timestamp_seconds)",
    unit: "seconds",
    job: "node-exporter",
  },
  // pg_stat_archiver through postgres-exporter (its pg_stat_archiver map): failures and no success in the window.
  walArchiveFailures: {
    title: "WAL archiving failures without a success",
    expr: "(increase(pg_stat_archiver_failed_count[2m]) unless on (server) increase(pg_stat_archiver_archived_count[2m]) > 0)",
    unit: "count",
    job: "postgres-exporter",
  },
} satisfies Record<string, Metric>;

export type MetricId = keyof typeof METRICS;
