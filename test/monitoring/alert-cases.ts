/**
 * Synthetic series for every alert: `above` crosses the alert's threshold,
 * `below` stays under it. One sample a minute for an hour; counters grow by
 * the per-minute step given (`0+6x60` is a rate of 0.1/s).
 */
export interface Series {
  series: string;
  values: string;
}

export interface AlertCase {
  above: Series[];
  below: Series[];
  /** Labels the alert carries besides `severity`. */
  labels: Record<string, string>;
  /** When the above series cross the threshold, for alerts that start later than the data. */
  startsAt?: number;
  /** The Watchdog: fires from the first evaluation, whatever the data; there is no below. */
  alwaysFires?: boolean;
}

const flat = (value: number) => `${value}x60`;
const counter = (perMinute: number) => `0+${perMinute}x60`;
const ram = (percent: number): Series[] => [
  { series: 'node_memory_MemAvailable_bytes{server="app"}', values: flat(100 - percent) },
  { series: 'node_memory_MemTotal_bytes{server="app"}', values: flat(100) },
];
// Two CPUs idle at the given share of each second.
const cpu = (busyPercent: number): Series[] =>
  ["0", "1"].map((c) => ({
    series: `node_cpu_seconds_total{server="app",cpu="${c}",mode="idle"}`,
    values: counter(((100 - busyPercent) / 100) * 60),
  }));
const disk = (percent: number): Series[] => [
  { series: 'node_filesystem_avail_bytes{server="app",mountpoint="/"}', values: flat(100 - percent) },
  { series: 'node_filesystem_size_bytes{server="app",mountpoint="/"}', values: flat(100) },
];
// Requests fall into the bucket whose upper bound is given; P95 lands inside that bucket.
const latency = (bucket: "1" | "2.5" | "5"): Series[] =>
  ["0.5", "1", "2.5", "5", "+Inf"].map((le) => ({
    series: `http_request_duration_seconds_bucket{server="app",le="${le}"}`,
    values: Number(le) >= Number(bucket) || le === "+Inf" ? counter(60) : flat(0),
  }));
const pg = (active: number): Series[] => [
  { series: 'pg_stat_activity_count{server="db",datname="orion",state="active"}', values: flat(active) },
  // Idle connections do not count against the guide's ">20 active".
  { series: 'pg_stat_activity_count{server="db",datname="orion",state="idle"}', values: flat(50) },
];
const MB = 1024 * 1024;
const workingSet = (share: number): Series[] => [
  { series: 'container_memory_working_set_bytes{name="orion-api-1"}', values: flat(share * 1000) },
  { series: 'container_spec_memory_limit_bytes{name="orion-api-1"}', values: flat(1000) },
  // A container without a limit (0) is left out rather than dividing by zero.
  { series: 'container_memory_working_set_bytes{name="orion-unlimited-1"}', values: flat(5000) },
  { series: 'container_spec_memory_limit_bytes{name="orion-unlimited-1"}', values: flat(0) },
];

const pgdata = (percent: number): Series[] => [
  { series: 'node_filesystem_avail_bytes{server="db",mountpoint="/mnt/pgdata"}', values: flat(100 - percent) },
  { series: 'node_filesystem_size_bytes{server="db",mountpoint="/mnt/pgdata"}', values: flat(100) },
  // The root disk of the same server stays low: the rule must read the volume, not `/`.
  ...disk(10).map((s) => ({ ...s, series: s.series.replace('server="app"', 'server="db"') })),
];
const up = (job: string, instance: string, server: string, value: number): Series => ({
  series: `up{job="${job}",instance="${instance}",server="${server}"}`,
  values: flat(value),
});
// One restart a minute: the start time moves on at every sample.
const restarting = (perMinute: number): Series[] => [
  {
    series: 'container_start_time_seconds{name="orion-celery-worker-1"}',
    values: perMinute > 0 ? `1000+${60 / perMinute}x60` : flat(1000),
  },
];
const health = (state: number): Series[] => [
  { series: 'container_health_state{name="orion-api-1"}', values: flat(state) },
  // celery-beat has no healthcheck (-1): never "unhealthy".
  { series: 'container_health_state{name="orion-celery-beat-1"}', values: flat(-1) },
];

export const ALERT_CASES: Record<string, AlertCase> = {
  HostMemoryHigh: { above: ram(90), below: ram(82), labels: { server: "app" } },
  HostMemoryScaleSignal: { above: ram(82), below: ram(75), labels: { server: "app" } },
  HostCpuHigh: { above: cpu(90), below: cpu(75), labels: { server: "app" } },
  HostCpuScaleSignal: { above: cpu(75), below: cpu(65), labels: { server: "app" } },
  DiskUsageWarning: { above: disk(85), below: disk(70), labels: { server: "app", mountpoint: "/" } },
  DiskUsageCritical: { above: disk(95), below: disk(85), labels: { server: "app", mountpoint: "/" } },
  ApiLatencyHigh: { above: latency("5"), below: latency("1"), labels: { server: "app" } },
  ApiLatencyInvestigate: { above: latency("2.5"), below: latency("1"), labels: { server: "app" } },
  PostgresConnectionsHigh: { above: pg(25), below: pg(5), labels: { server: "db" } },
  RedisMemoryHigh: {
    above: [{ series: 'redis_memory_used_bytes{server="app"}', values: flat(110 * MB) }],
    below: [{ series: 'redis_memory_used_bytes{server="app"}', values: flat(90 * MB) }],
    labels: { server: "app" },
  },
  CeleryQueueBacklog: {
    above: [{ series: 'redis_key_size{server="app",db="db0",key="celery"}', values: flat(150) }],
    below: [{ series: 'redis_key_size{server="app",db="db0",key="celery"}', values: flat(50) }],
    labels: { server: "app" },
  },
  ContainerNearMemoryLimit: { above: workingSet(0.95), below: workingSet(0.8), labels: { name: "orion-api-1" } },
  // promtool's clock starts at 0: a backup that finished 27 h "before" it is older than 26 h; one at 0 is minutes old.
  DatabaseBackupTooOld: {
    above: [
      { series: 'orion_backup_last_success_timestamp_seconds{server="app",type="full"}', values: flat(-27 * 3600) },
      { series: 'orion_backup_last_success_timestamp_seconds{server="app",type="diff"}', values: flat(-26.5 * 3600) },
    ],
    below: [
      { series: 'orion_backup_last_success_timestamp_seconds{server="app",type="full"}', values: flat(-6 * 24 * 3600) },
      { series: 'orion_backup_last_success_timestamp_seconds{server="app",type="diff"}', values: flat(0) },
    ],
    labels: { server: "app" },
  },
  // The archiver retries a failing segment every minute; "below" fails now and then but keeps archiving.
  WalArchivingFailing: {
    above: [
      { series: 'pg_stat_archiver_failed_count{server="db"}', values: counter(3) },
      { series: 'pg_stat_archiver_archived_count{server="db"}', values: flat(40) },
    ],
    below: [
      { series: 'pg_stat_archiver_failed_count{server="db"}', values: counter(3) },
      { series: 'pg_stat_archiver_archived_count{server="db"}', values: counter(1) },
    ],
    labels: { server: "db" },
  },
  ContainerOomKilled: {
    above: [{ series: 'container_oom_events_total{name="orion-celery-worker-1"}', values: "0x9 1x50" }],
    below: [{ series: 'container_oom_events_total{name="orion-celery-worker-1"}', values: flat(0) }],
    labels: { name: "orion-celery-worker-1" },
    startsAt: 10,
  },
  TargetDown: {
    above: [
      up("node-exporter", "10.0.1.20:9100", "db", 0),
      up("node-exporter", "node-exporter:9100", "app", 1),
      up("api", "api:8000", "app", 1),
    ],
    below: [up("node-exporter", "10.0.1.20:9100", "db", 1), up("api", "api:8000", "app", 0)],
    labels: { job: "node-exporter", instance: "10.0.1.20:9100", server: "db" },
  },
  ApiDown: {
    above: [up("api", "10.0.1.41:8000", "api-2", 0), up("api", "api:8000", "app", 1)],
    below: [up("api", "10.0.1.41:8000", "api-2", 1), up("node-exporter", "10.0.1.41:9100", "api-2", 0)],
    labels: { job: "api", instance: "10.0.1.41:8000", server: "api-2" },
  },
  // The third restart, at minute 3, crosses "more than twice".
  ContainerRestarting: {
    above: restarting(1),
    below: restarting(0),
    labels: { name: "orion-celery-worker-1" },
    startsAt: 3,
  },
  ContainerUnhealthy: { above: health(0), below: health(1), labels: { name: "orion-api-1" } },
  PgdataDiskWarning: { above: pgdata(85), below: pgdata(70), labels: { server: "db", mountpoint: "/mnt/pgdata" } },
  PgdataDiskCritical: { above: pgdata(95), below: pgdata(85), labels: { server: "db", mountpoint: "/mnt/pgdata" } },
  Watchdog: { above: [], below: [], labels: {}, alwaysFires: true },
};
