/**
 * The guide's thresholds, each once. Alert rules and the scaling advisor
 * both compare METRICS against these.
 */
export const THRESHOLDS = {
  // Guide: "Alert at >85% host RAM. Scale at sustained >80%."
  hostRamAlertPercent: 85,
  hostRamScalePercent: 80,
  // Guide: "Alert at >80% for 5 minutes. Scale at sustained >70%."
  hostCpuAlertPercent: 80,
  hostCpuAlertFor: "5m",
  hostCpuScalePercent: 70,
  // Guide: "Alert at >80%. Critical at >90%." and the decision tree's "Is disk >80%?"
  diskWarningPercent: 80,
  diskCriticalPercent: 90,
  // Guide: "Alert at P95 >2s. Investigate at P95 >1s."
  apiP95AlertSeconds: 2,
  apiP95InvestigateSeconds: 1,
  // Guide: "Default pool is 10 + 20 overflow = 30 max. Alert at >20 active."
  postgresActiveConnections: 20,
  // Guide: "Alert at >100 MB (of 128 MB limit)."
  redisMemoryBytes: 100 * 1024 * 1024,
  // Guide: "Are Celery tasks queuing >100 for >10min?"
  celeryQueueLength: 100,
  celeryQueueFor: "10m",
  // Not in the guide: a container within 10% of its limit is one spike from an OOM kill.
  containerMemoryOfLimit: 0.9,
  /** Not in the guide: three restarts in 15 minutes is a crash loop, not a deploy. */
  containerRestartsIn15m: 2,
  /**
   * "Sustained" and "consistently" in the guide: held for 30 minutes, long
   * enough to ignore a deploy or a batch job, short enough to act the same day.
   */
  sustainedFor: "30m",
} as const;
