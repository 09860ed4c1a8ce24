/**
 * Synthetic Prometheus history, one data set per leaf of the guide's tree,
 * each 90 minutes at one sample a minute and 3 hours apart, so that the
 * advisor, evaluated at a data set's end, sees only that data set.
 */
export interface Scenario {
  name: string;
  ramPercent: (minute: number) => number;
  /** Upper bound of the latency bucket most requests fall into; P95 lands inside it. */
  latencyBucket: "1" | "5";
  postgresActive: number;
  diskPercent: number;
  /** undefined: redis-exporter is missing, so the queue length has no series. */
  celeryQueue?: number;
}

const steady = (v: number) => () => v;
export const BASE = Date.parse("2026-01-01T00:00:00Z");
const MINUTES = 90;
const GAP_MINUTES = 180;

export const SCENARIOS: Scenario[] = [
  { name: "ram", ramPercent: steady(85), latencyBucket: "1", postgresActive: 5, diskPercent: 50, celeryQueue: 10 },
  {
    name: "db-bound",
    ramPercent: steady(60),
    latencyBucket: "5",
    postgresActive: 25,
    diskPercent: 50,
    celeryQueue: 10,
  },
  {
    name: "cpu-bound",
    ramPercent: steady(60),
    latencyBucket: "5",
    postgresActive: 5,
    diskPercent: 50,
    celeryQueue: 10,
  },
  { name: "disk", ramPercent: steady(60), latencyBucket: "1", postgresActive: 5, diskPercent: 85, celeryQueue: 10 },
  { name: "celery", ramPercent: steady(60), latencyBucket: "1", postgresActive: 5, diskPercent: 50, celeryQueue: 150 },
  // A ten-minute RAM spike to 95% is not "consistently >80%".
  {
    name: "none",
    ramPercent: (m) => (m >= 40 && m < 50 ? 95 : 60),
    latencyBucket: "1",
    postgresActive: 5,
    diskPercent: 50,
    celeryQueue: 50,
  },
  { name: "missing-queue", ramPercent: steady(60), latencyBucket: "1", postgresActive: 5, diskPercent: 50 },
];

/** When the advisor should evaluate a scenario: its last sample. */
export function endOf(name: string): Date {
  const index = SCENARIOS.findIndex((s) => s.name === name);
  return new Date(BASE + (index * (MINUTES + GAP_MINUTES) + MINUTES - 1) * 60_000);
}

/** All scenarios as one OpenMetrics file for `promtool tsdb create-blocks-from openmetrics`. */
export function openMetrics(): string {
  const families = new Map<string, string[]>();
  const add = (metric: string, labels: string, value: number, ms: number) => {
    const lines = families.get(metric) ?? [];
    lines.push(`${metric}{${labels}} ${value} ${(ms / 1000).toFixed(3)}`);
    families.set(metric, lines);
  };
  // Samples of one series must be in time order, and a family's series together: build per series, then join.
  SCENARIOS.forEach((s, index) => {
    const start = BASE + index * (MINUTES + GAP_MINUTES) * 60_000;
    for (let m = 0; m < MINUTES; m++) {
      const t = start + m * 60_000;
      add("node_memory_MemAvailable_bytes", 'server="app"', 100 - s.ramPercent(m), t);
      add("node_memory_MemTotal_bytes", 'server="app"', 100, t);
      add("node_filesystem_avail_bytes", 'server="app",mountpoint="/"', 100 - s.diskPercent, t);
      add("node_filesystem_size_bytes", 'server="app",mountpoint="/"', 100, t);
      for (const le of ["0.5", "1", "2.5", "5", "+Inf"]) {
        const inBucket = le === "+Inf" || Number(le) >= Number(s.latencyBucket);
        // Counters keep growing across scenarios, as a real server's would.
        add(
          "http_request_duration_seconds_bucket",
          `server="app",le="${le}"`,
          inBucket ? (index * MINUTES + m) * 600 : 0,
          t,
        );
      }
      add("pg_stat_activity_count", 'server="app",datname="orion",state="active"', s.postgresActive, t);
      if (s.celeryQueue !== undefined) add("redis_key_size", 'server="app",db="db0",key="celery"', s.celeryQueue, t);
    }
  });
  const out: string[] = [];
  for (const [metric, lines] of families) {
    out.push(`# TYPE ${metric} gauge`);
    // Group by series (label set), keeping time order inside each.
    const bySeries = new Map<string, string[]>();
    for (const line of lines) {
      const key = line.slice(0, line.indexOf("}") + 1);
      bySeries.set(key, [...(bySeries.get(key) ?? []), line]);
    }
    for (const series of bySeries.values()) out.push(...series);
  }
  out.push("# EOF");
  return `${out.join("\n")}\n`;
}
