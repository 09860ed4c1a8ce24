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
  const workMemMb = Math.max(1, Math.floor((memoryLimitMb - sharedBuffersMb - maintenanceWorkMemMb) / (maxConnections * 2)));
  return { maxConnections, sharedBuffersMb, effectiveCacheSizeMb, maintenanceWorkMemMb, workMemMb };
}
