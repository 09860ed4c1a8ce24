/** Service settings that a stage fixes and the plan, the renderers and the policy pack read. */

export interface ApiSettings {
  /** Uvicorn worker processes (`--workers`). */
  uvicornWorkers: number;
  /** SQLAlchemy pool per process: `pool_size` and `max_overflow`. */
  dbPoolSize: number;
  dbMaxOverflow: number;
}

export interface PgBouncerSettings {
  poolMode: "transaction" | "session" | "statement";
  maxClientConn: number;
  defaultPoolSize: number;
}

export type RedisEvictionPolicy =
  | "noeviction"
  | "volatile-lru"
  | "volatile-lfu"
  | "volatile-ttl"
  | "volatile-random"
  | "allkeys-lru"
  | "allkeys-lfu"
  | "allkeys-random";

export interface RedisSettings {
  maxmemoryMb: number;
  maxmemoryPolicy: RedisEvictionPolicy;
}

export interface SentinelSettings {
  /** Sentinels that must agree before the master is declared down. */
  quorum: number;
}

export interface ServiceSettings {
  api?: ApiSettings;
  pgbouncer?: PgBouncerSettings;
  redis?: RedisSettings;
  sentinel?: SentinelSettings;
}

/**
 * Policies that can delete a key without a TTL. Celery's broker keys (the
 * queue lists, `unacked`, bindings) never carry one, so any of these can drop
 * queued tasks without an error: the trap in the guide's `allkeys-lru` advice.
 */
export const BROKER_UNSAFE_POLICIES: readonly RedisEvictionPolicy[] = ["allkeys-lru", "allkeys-lfu", "allkeys-random"];
