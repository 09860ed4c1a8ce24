/**
 * Celery worker sizing from its memory limit and the server's vCPUs. The
 * guide gives the limit ("Each replica adds ~512 MB RAM") but not the pool.
 */

/** The prefork parent: Celery, kombu and the app's imports before any task runs. */
export const CELERY_PARENT_MB = 128;
/** What one prefork child may use while running Orion's tasks (store syncs, e-mails). */
export const CELERY_CHILD_MB = 192;
/** A child is replaced after a task once it passes this share of its slot, before the container limit is near. */
const CHILD_RECYCLE_SHARE = 0.8;

export interface CelerySettings {
  /** `--concurrency`: prefork children in one worker container. */
  concurrency: number;
  /** `--max-memory-per-child`, in KiB as Celery reads it. */
  maxMemoryPerChildKb: number;
}

export function celerySettings(memoryLimitMb: number, vcpu: number): CelerySettings {
  const byMemory = Math.floor((memoryLimitMb - CELERY_PARENT_MB) / CELERY_CHILD_MB);
  // More children than vCPUs only queue for the CPU; the tasks that wait on I/O are covered by the memory bound.
  const concurrency = Math.max(1, Math.min(byMemory, vcpu));
  const slotMb = (memoryLimitMb - CELERY_PARENT_MB) / concurrency;
  return { concurrency, maxMemoryPerChildKb: Math.floor(slotMb * CHILD_RECYCLE_SHARE) * 1024 };
}
