/**
 * PostgreSQL settings derived from the db container's memory limit and the
 * plan's max_connections. Sizes are whole MB, the unit `SHOW` answers in.
 */
export interface PostgresSettings {
  maxConnections: number;
  sharedBuffersMb: number;
  effectiveCacheSizeMb: number;
  maintenanceWorkMemMb: number;
  workMemMb: number;
}

export function postgresSettings(memoryLimitMb: number, maxConnections: number): PostgresSettings {
  // A quarter of memory for shared_buffers is PostgreSQL's own starting advice.
  const sharedBuffersMb = Math.floor(memoryLimitMb / 4);
  // The planner's estimate of cache: the container's memory (its page cache counts against the limit).
  const effectiveCacheSizeMb = Math.floor((memoryLimitMb * 3) / 4);
  // Vacuum and index builds run one or two at a time: 1/16 of memory, between 16 MB and 1 GB.
  const maintenanceWorkMemMb = Math.min(1024, Math.max(16, Math.floor(memoryLimitMb / 16)));
  // What is left after shared buffers and maintenance, shared by every connection running two sorts at once.
  const workMemMb = Math.max(
    1,
    Math.floor((memoryLimitMb - sharedBuffersMb - maintenanceWorkMemMb) / (maxConnections * 2)),
  );
  return { maxConnections, sharedBuffersMb, effectiveCacheSizeMb, maintenanceWorkMemMb, workMemMb };
}

/** PostgreSQL's work_mem is a whole MB here; below 1 MB per sort the derived settings no longer add up. */
const MIN_WORK_MEM_MB = 1;

/**
 * The smallest db limit whose derived settings hold without clamping: after
 * shared_buffers and maintenance_work_mem, every connection can still run two
 * sorts of at least 1 MB. Below it `work_mem` is raised to 1 MB and the sum of
 * what PostgreSQL may use passes the container's limit.
 */
export function postgresFloorMb(maxConnections: number): number {
  let limitMb = 64;
  const leftPerSort = (mb: number) =>
    (mb - Math.floor(mb / 4) - Math.min(1024, Math.max(16, Math.floor(mb / 16)))) / (maxConnections * 2);
  while (leftPerSort(limitMb) < MIN_WORK_MEM_MB) limitMb += 1;
  return limitMb;
}
