import { CELERY_CHILD_MB, CELERY_PARENT_MB } from "./celery";
import type { PlannedService } from "./plan-types";
import { postgresFloorMb } from "./postgres";
import type { ServiceName } from "./services";
import { formatMb } from "./units";

/**
 * The smallest memory limit each service runs in with the settings the plan
 * gives it. Below it the files still render, but the container cannot start
 * (PostgreSQL with `shared_buffers = 0MB`), misbehaves (Celery with a negative
 * `--max-memory-per-child`) or is OOM-killed at its first real work, so the
 * plan refuses the limit instead.
 */
export interface MemoryFloor {
  mb: number;
  /** Why, in the operator's words, ending where the figure comes from. */
  because: string;
}

/**
 * Redis needs room above `maxmemory` for itself: its process and client
 * buffers, the replication backlog and the copy-on-write pages of the fork
 * that rewrites the append-only file. The guide keeps 100 MB of data in a
 * 128 MB container; every Redis here keeps at least that share free.
 */
export const REDIS_LIMIT_PER_MAXMEMORY = 128 / 100;

/**
 * One Uvicorn worker of a FastAPI app with SQLAlchemy and its pool resides at
 * about 100 MB after its imports; the supervisor that `--workers` starts takes
 * what is left of the first 64 MB (chosen; the guide gives 512 MB for one).
 */
export const API_SUPERVISOR_MB = 64;
export const API_WORKER_MB = 128;

/**
 * Services whose floor does not follow from a setting: the size below which
 * their process is at risk as soon as it works (chosen from their usual
 * resident size; every stage gives more). Docker itself refuses limits under 6 MB.
 */
const FIXED_FLOORS: Partial<Record<ServiceName, MemoryFloor>> = {
  // The guide raised both from 128 MB to 256 MB after an OOM kill.
  "celery-beat": { mb: 256, because: "celery-beat was OOM-killed at 128 MB (the guide raised it to 256 MB)" },
  flower: { mb: 256, because: "Flower was OOM-killed at 128 MB (the guide raised it to 256 MB)" },
  prometheus: { mb: 128, because: "Prometheus holds its head block and replays its WAL in memory at start" },
  grafana: { mb: 128, because: "Grafana 11 resides at about 100 MB once its plugins are loaded" },
  cadvisor: { mb: 64, because: "cAdvisor keeps recent statistics of every container in memory" },
  alertmanager: { mb: 24, because: "Alertmanager resides at about 20 MB" },
  pgbouncer: { mb: 16, because: "PgBouncer needs two packet buffers per client connection on top of a few MB" },
  "node-exporter": { mb: 16, because: "a Go exporter resides at 10-20 MB" },
  "postgres-exporter": { mb: 16, because: "a Go exporter resides at 10-20 MB" },
  "redis-exporter": { mb: 16, because: "a Go exporter resides at 10-20 MB" },
  "redis-sentinel": { mb: 16, because: "a Redis process without data resides at a few MB" },
};

/** The floor of one planned service, from its settings (PostgreSQL, Redis, Celery, Uvicorn) or its kind. */
export function memoryFloor(service: PlannedService): MemoryFloor {
  if (service.postgres) {
    const connections = service.postgres.maxConnections;
    return {
      mb: postgresFloorMb(connections),
      because: `PostgreSQL with max_connections ${connections} needs shared_buffers (a quarter), maintenance_work_mem (16 MB) and two sorts of at least 1 MB work_mem per connection`,
    };
  }
  if (service.redis) {
    const maxmemory = service.redis.maxmemoryMb;
    return {
      mb: Math.ceil(maxmemory * REDIS_LIMIT_PER_MAXMEMORY),
      because: `Redis keeps maxmemory ${formatMb(maxmemory)} and needs 28% more for its own process, client buffers and the fork of an AOF rewrite (the guide's 100 of 128 MB)`,
    };
  }
  if (service.name === "celery-worker") {
    return {
      mb: CELERY_PARENT_MB + CELERY_CHILD_MB,
      because: `a Celery worker needs its prefork parent (${CELERY_PARENT_MB} MB) and at least one child (${CELERY_CHILD_MB} MB)`,
    };
  }
  if (service.api) {
    const workers = service.api.uvicornWorkers;
    const each =
      workers === 1
        ? `1 Uvicorn worker (${API_WORKER_MB} MB) and its supervisor`
        : `${workers} Uvicorn workers (${API_WORKER_MB} MB each) and their supervisor`;
    return { mb: API_SUPERVISOR_MB + API_WORKER_MB * workers, because: `${each} (${API_SUPERVISOR_MB} MB) need it` };
  }
  return FIXED_FLOORS[service.name] ?? { mb: 6, because: "Docker refuses a memory limit under 6 MB" };
}
