import { METRICS, type MetricId } from "../monitoring/metrics";
import { THRESHOLDS } from "../monitoring/thresholds";

/** A question of the guide's decision tree, asked of Prometheus with the guide's own query. */
export interface Question {
  id: "ram" | "latency" | "dbBound" | "disk" | "celeryQueue";
  text: string;
  metric: MetricId;
  /** How "consistently", "sustained" or "for >10min" is read. */
  reading: string;
  promql: (window: string) => string;
  threshold: number;
  unit: string;
}

const over = (fn: string, metric: MetricId, window: string) => `${fn}((${METRICS[metric].expr})[${window}:1m])`;

/** The guide's "When to Scale" questions, in the order it asks them. */
export const QUESTIONS: Record<Question["id"], Question> = {
  ram: {
    id: "ram",
    text: `Is RAM consistently >${THRESHOLDS.hostRamScalePercent}%?`,
    metric: "hostRamPercent",
    reading: "lowest value over the window",
    promql: (w) => over("min_over_time", "hostRamPercent", w),
    threshold: THRESHOLDS.hostRamScalePercent,
    unit: "%",
  },
  latency: {
    id: "latency",
    text: `Is API P95 latency >${THRESHOLDS.apiP95AlertSeconds}s?`,
    metric: "apiP95Seconds",
    reading: "average over the window",
    promql: (w) => over("avg_over_time", "apiP95Seconds", w),
    threshold: THRESHOLDS.apiP95AlertSeconds,
    unit: "s",
  },
  dbBound: {
    id: "dbBound",
    // The guide asks "Is it DB queries?"; its own DB threshold is more than 20 active connections.
    text: `Is it DB queries? (PostgreSQL active connections >${THRESHOLDS.postgresActiveConnections})`,
    metric: "postgresActiveConnections",
    reading: "average over the window",
    promql: (w) => over("avg_over_time", "postgresActiveConnections", w),
    threshold: THRESHOLDS.postgresActiveConnections,
    unit: "",
  },
  disk: {
    id: "disk",
    text: `Is disk >${THRESHOLDS.diskWarningPercent}%?`,
    metric: "diskPercent",
    reading: "now",
    promql: () => METRICS.diskPercent.expr,
    threshold: THRESHOLDS.diskWarningPercent,
    unit: "%",
  },
  celeryQueue: {
    id: "celeryQueue",
    text: `Are Celery tasks queuing >${THRESHOLDS.celeryQueueLength} for >${THRESHOLDS.celeryQueueFor}?`,
    metric: "celeryQueueLength",
    reading: `lowest value over the last ${THRESHOLDS.celeryQueueFor}`,
    promql: () => over("min_over_time", "celeryQueueLength", THRESHOLDS.celeryQueueFor),
    threshold: THRESHOLDS.celeryQueueLength,
    unit: "",
  },
};

/** One answer from Prometheus: a value per server, or none when the series is missing. */
export type Measurement = { server: string; value: number }[];
export type Measurements = Record<Question["id"], Measurement>;
