import type { ServerTypeName } from "./catalog";
import type { ServiceName } from "./services";
import type { ApiSettings, PgBouncerSettings, RedisSettings, ServiceSettings } from "./settings";
import { PGBACKREST_MEMORY_MB } from "./backup";

export const STAGE_NAMES = ["launch", "early-growth", "growth", "scale", "enterprise"] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export const SERVER_ROLES = ["app", "api", "db", "db-replica", "redis", "redis-replica", "worker"] as const;
export type ServerRole = (typeof SERVER_ROLES)[number];

/** A memory limit that may depend on the server type the operator picks for that server. */
export type MemorySpec = number | Partial<Record<ServerTypeName, number>>;

export interface ServiceSpec {
  service: ServiceName;
  memoryMb: MemorySpec;
  /** Replica count and the range `orion:replicas` may choose from. Defaults to exactly 1. */
  replicas?: { default: number; min: number; max: number };
  settings?: ServiceSettings;
}

/** How many servers of a kind the enterprise stage runs, chosen with a config key. */
export interface ServerCount {
  configKey: "apiServers" | "workerServers" | "dbReplicas";
  default: number;
  min: number;
  max: number;
  /** Servers the count includes that are defined elsewhere (the app server serves the API too). */
  alreadyCounted: number;
}

export interface ServerSpec {
  /** Stable name: it becomes the Pulumi resource name, so it never contains the stage. */
  name: string;
  role: ServerRole;
  type: ServerTypeName;
  /** Types `orion:serverTypes.<role>` may choose; the first is the default. */
  allowedTypes: ServerTypeName[];
  services: ServiceSpec[];
  /** Several servers of this spec, named `<name>-<n>`. */
  count?: ServerCount;
}

export interface StageSpec {
  name: StageName;
  title: string;
  /** The guide's timeline: when to move to this stage. */
  trigger: string;
  /** The guide's actions for this stage, in its words. */
  guideActions: string[];
  servers: ServerSpec[];
  loadBalancer: boolean;
  /** The guide's load trigger: this many clients or this many stores call for the stage (">75 stores" is 76). Stages that RAM or nothing triggers have none. */
  loadTrigger?: { clients: number; stores: number };
}

/**
 * Host memory outside containers, per server role. The app server's figure is
 * the guide's: "OS + Caddy + Gitea + CI ~1,150 MB". Other servers run no Caddy,
 * Gitea or CI runner; 512 MB covers Debian, dockerd/containerd, fail2ban and
 * unattended-upgrades with room for their peaks (chosen; the guide has no figure).
 */
export const HOST_RESERVE_MB: Record<ServerRole, { mb: number; covers: string }> = {
  app: { mb: 1150, covers: "OS + Caddy + Gitea + CI runner" },
  api: { mb: 512, covers: "OS + Docker" },
  db: { mb: 512, covers: "OS + Docker" },
  "db-replica": { mb: 512, covers: "OS + Docker" },
  redis: { mb: 512, covers: "OS + Docker" },
  "redis-replica": { mb: 512, covers: "OS + Docker" },
  worker: { mb: 512, covers: "OS + Docker" },
};

/** Roles whose servers keep data on their disk or volume: never replaced, delete-protected. */
export const STATEFUL_ROLES: readonly ServerRole[] = ["app", "db", "db-replica", "redis", "redis-replica"];

/** Roles that answer HTTP from the internet (Caddy on 80/443). In enterprise, API servers sit behind the load balancer instead. */
export const HTTP_ROLES: readonly ServerRole[] = ["app"];

// ---------------------------------------------------------------------------
// Shared pieces. Figures marked "guide" come from its budget table or timeline.

/** The guide's SQLAlchemy default: "Default pool is 10 + 20 overflow = 30 max". */
const GUIDE_DEFAULT_POOL = { dbPoolSize: 10, dbMaxOverflow: 20 };

/**
 * Behind PgBouncer each Uvicorn process needs few connections: a transaction
 * holds a server connection only while it runs. 5 + 5 per process keeps
 * 4 workers at 40 client connections, under the guide's max_client_conn 100
 * (the guide's 10 + 20 would allow 120).
 */
const POOLED_APP_POOL = { dbPoolSize: 5, dbMaxOverflow: 5 };

/** The guide's PgBouncer snippet: transaction pooling, 100 clients, pool 20. */
const GUIDE_PGBOUNCER: PgBouncerSettings = { poolMode: "transaction", maxClientConn: 100, defaultPoolSize: 20 };

/**
 * Guide: "--maxmemory 100mb" inside the 128 MB container. Its `allkeys-lru`
 * would evict Celery's queue keys; `volatile-lru` evicts only keys with a TTL
 * (the cache) and refuses writes with an OOM error once only broker data is
 * left, so a task is never dropped in silence. Set from launch on: a Redis at
 * its container limit is OOM-killed, which loses more than an eviction.
 */
const GUIDE_REDIS: RedisSettings = { maxmemoryMb: 100, maxmemoryPolicy: "volatile-lru" };

/**
 * Three Sentinels, one on each of app, redis and redis-replica: losing any one
 * server leaves two, a majority, to agree on a failover (quorum 2).
 */
const SENTINEL: ServiceSpec = { service: "redis-sentinel", memoryMb: 32, settings: { sentinel: { quorum: 2 } } };

const svc = (
  service: ServiceName,
  memoryMb: MemorySpec,
  extra: Omit<ServiceSpec, "service" | "memoryMb"> = {},
): ServiceSpec => ({
  service,
  memoryMb,
  ...extra,
});
const api = (memoryMb: MemorySpec, settings: ApiSettings) => svc("api", memoryMb, { settings: { api: settings } });

/** Wherever PostgreSQL runs: base backups from a primary, ready on a replica that is promoted (model/backup.ts). */
const PGBACKREST = svc("pgbackrest", PGBACKREST_MEMORY_MB);

/** Every server runs these, so Prometheus sees every host and container (guide: "Key Metrics"). */
const HOST_EXPORTERS = [svc("node-exporter", 64), svc("cadvisor", 128)]; // guide: 64 MB, 128 MB

/** The guide's launch table, in its order. */
const LAUNCH_APP_SERVICES: ServiceSpec[] = [
  svc("db", 512), // guide
  svc("redis", 128, { settings: { redis: GUIDE_REDIS } }), // guide
  api(512, { uvicornWorkers: 1, ...GUIDE_DEFAULT_POOL }), // guide: 512 MB; one worker, Uvicorn's default, until growth
  svc("celery-worker", 512, { replicas: { default: 1, min: 1, max: 3 } }), // guide
  svc("celery-beat", 256), // guide (bumped from 128 after an OOM)
  svc("flower", 256), // guide (bumped from 128 after an OOM)
  svc("prometheus", 256), // guide
  svc("grafana", 192), // guide
  ...HOST_EXPORTERS,
  svc("alertmanager", 32), // guide
  // Not in the guide's table; Go exporters idle at 10-20 MB.
  svc("postgres-exporter", 32),
  svc("redis-exporter", 24),
  PGBACKREST,
];

function withChanges(
  base: ServiceSpec[],
  changes: Partial<Record<ServiceName, Partial<ServiceSpec>>>,
  added: ServiceSpec[] = [],
): ServiceSpec[] {
  return [...base.map((s) => ({ ...s, ...(changes[s.service] ?? {}) })), ...added];
}

// ---------------------------------------------------------------------------

const launch: StageSpec = {
  name: "launch",
  title: "Launch",
  trigger: "1 client, up to 24 stores",
  guideActions: ["Memory limits set, monitoring active, alerts configured"],
  loadBalancer: false,
  servers: [{ name: "app", role: "app", type: "cax11", allowedTypes: ["cax11"], services: LAUNCH_APP_SERVICES }],
};

// Guide: "Upgrade to CAX21; increase memory limits for db (1 GB), api (1 GB), celery-worker (1 GB)".
const EARLY_GROWTH_SERVICES = withChanges(LAUNCH_APP_SERVICES, {
  db: { memoryMb: 1024 },
  // Two workers: the CAX21 doubles the vCPUs and 1 GB holds two Uvicorn processes; growth takes the guide's 4.
  api: { memoryMb: 1024, settings: { api: { uvicornWorkers: 2, ...GUIDE_DEFAULT_POOL } } },
  "celery-worker": { memoryMb: 1024 },
});

const earlyGrowth: StageSpec = {
  name: "early-growth",
  title: "Early growth",
  trigger: "RAM consistently >80% or disk >70%",
  guideActions: ["Upgrade to CAX21 (8 GB)", "Increase memory limits for db (1 GB), api (1 GB), celery-worker (1 GB)"],
  loadBalancer: false,
  servers: [{ name: "app", role: "app", type: "cax21", allowedTypes: ["cax21"], services: EARLY_GROWTH_SERVICES }],
};

const GROWTH_SERVICES = withChanges(
  EARLY_GROWTH_SERVICES,
  { api: { settings: { api: { uvicornWorkers: 4, ...POOLED_APP_POOL } } } }, // guide: "Increase Uvicorn workers to 4"
  [svc("pgbouncer", 64, { settings: { pgbouncer: GUIDE_PGBOUNCER } })], // guide: mem_limit 64m
);

const growth: StageSpec = {
  name: "growth",
  title: "Growth",
  trigger: "3+ clients, >75 stores, or DB queries slowing down",
  guideActions: ["Add PgBouncer for connection pooling", "Increase Uvicorn workers to 4", "Redis maxmemory policy"],
  loadTrigger: { clients: 3, stores: 76 },
  loadBalancer: false,
  servers: [{ name: "app", role: "app", type: "cax21", allowedTypes: ["cax21", "cax31"], services: GROWTH_SERVICES }],
};

/**
 * Scale: the database leaves the app server. PgBouncer moves with it, so one
 * pool guards PostgreSQL however many app processes connect. Redis stays on
 * the app server (guide: "latency-sensitive"). The app server keeps the
 * monitoring stack, beside Caddy, which already serves Grafana.
 */
const SCALE_APP_SERVICES: ServiceSpec[] = [
  svc("redis", 128, { settings: { redis: GUIDE_REDIS } }),
  // CAX31 has 8 vCPUs: one Uvicorn worker each (the guide's rule allows 17) in 2 GB.
  api(2048, { uvicornWorkers: 8, ...POOLED_APP_POOL }),
  svc("celery-worker", 1024, { replicas: { default: 2, min: 2, max: 3 } }), // guide: 2-3 replicas
  svc("celery-beat", 256),
  svc("flower", 256),
  // More servers and series to keep for 15 days than at launch.
  svc("prometheus", 512),
  svc("grafana", 192),
  ...HOST_EXPORTERS,
  svc("alertmanager", 32),
  svc("redis-exporter", 24),
];

/** The database gets half the server; the rest is PostgreSQL's page cache and the host. */
const DB_SERVICES = (memoryMb: MemorySpec, maxClientConn: number): ServiceSpec[] => [
  svc("db", memoryMb),
  svc("pgbouncer", 64, { settings: { pgbouncer: { ...GUIDE_PGBOUNCER, maxClientConn } } }),
  svc("postgres-exporter", 32),
  PGBACKREST,
  ...HOST_EXPORTERS,
];

const scale: StageSpec = {
  name: "scale",
  title: "Scale",
  trigger: "10+ clients, >200 stores",
  guideActions: [
    "Separate database to its own server",
    "Scale Celery workers (2-3 replicas)",
    "Upgrade app server to CAX31",
    "Consider CDN for static assets",
  ],
  loadTrigger: { clients: 10, stores: 201 },
  loadBalancer: false,
  servers: [
    { name: "app", role: "app", type: "cax31", allowedTypes: ["cax31", "cax41"], services: SCALE_APP_SERVICES },
    // Guide: "Create a new Hetzner server (CAX11 or CAX21) for PostgreSQL". 8 API processes
    // x (5 + 5) plus the workers exceed 100 clients, so PgBouncer accepts 200; its pool to
    // PostgreSQL stays the guide's 20.
    {
      name: "db",
      role: "db",
      type: "cax21",
      allowedTypes: ["cax21", "cax11"],
      services: DB_SERVICES({ cax11: 2048, cax21: 4096 }, 200),
    },
  ],
};

/** A Redis server of the enterprise stage: the master or its replica, each with a Sentinel. */
function redisServer(role: "redis" | "redis-replica"): ServerSpec {
  return {
    name: role,
    role,
    type: "cax11",
    allowedTypes: ["cax11", "cax21"],
    services: [
      // Same 100:128 ratio as the guide, leaving room for the fork of an AOF rewrite.
      svc(role, 1024, { settings: { redis: { maxmemoryMb: 800, maxmemoryPolicy: "volatile-lru" } } }),
      SENTINEL,
      svc("redis-exporter", 24),
      ...HOST_EXPORTERS,
    ],
  };
}

/**
 * Enterprise: app, API, DB, Redis and worker servers (guide: "Multi-server
 * architecture"). Monitoring stays on the app server: it already runs Caddy
 * for Grafana, reaches every server on the private network, and a separate
 * monitoring server would add cost without adding a server Prometheus can
 * watch from outside the failure it reports (Alertmanager's webhook does that).
 */
const enterprise: StageSpec = {
  name: "enterprise",
  title: "Enterprise",
  trigger: "25+ clients, >500 stores, SLA requirements",
  guideActions: [
    "Multi-server architecture (app, DB, Redis, workers)",
    "PostgreSQL read replicas",
    "Redis Sentinel for HA",
    "Load balancer for API",
  ],
  loadTrigger: { clients: 25, stores: 501 },
  loadBalancer: true,
  servers: [
    {
      name: "app",
      role: "app",
      type: "cax31",
      allowedTypes: ["cax31", "cax41"],
      services: [
        api(2048, { uvicornWorkers: 8, ...POOLED_APP_POOL }),
        svc("celery-beat", 256),
        svc("flower", 256),
        SENTINEL,
        svc("prometheus", 1024),
        svc("grafana", 256),
        svc("alertmanager", 64),
        ...HOST_EXPORTERS,
      ],
    },
    {
      name: "api",
      role: "api",
      type: "cax21",
      allowedTypes: ["cax21", "cax31"],
      count: { configKey: "apiServers", default: 2, min: 2, max: 10, alreadyCounted: 1 },
      // 4 vCPUs: the guide's "start with 4" workers.
      services: [api(1024, { uvicornWorkers: 4, ...POOLED_APP_POOL }), ...HOST_EXPORTERS],
    },
    {
      name: "db",
      role: "db",
      type: "cax31",
      allowedTypes: ["cax31", "cax41"],
      services: DB_SERVICES({ cax31: 8192, cax41: 16384 }, 400),
    },
    {
      name: "db-replica",
      role: "db-replica",
      type: "cax21",
      allowedTypes: ["cax21", "cax31", "cax41"],
      count: { configKey: "dbReplicas", default: 1, min: 1, max: 5, alreadyCounted: 0 },
      services: [
        svc("db-replica", { cax21: 4096, cax31: 8192, cax41: 16384 }),
        svc("postgres-exporter", 32),
        PGBACKREST,
        ...HOST_EXPORTERS,
      ],
    },
    redisServer("redis"),
    redisServer("redis-replica"),
    {
      name: "worker",
      role: "worker",
      type: "cax21",
      allowedTypes: ["cax21", "cax31", "cax41"],
      count: { configKey: "workerServers", default: 2, min: 1, max: 10, alreadyCounted: 0 },
      services: [svc("celery-worker", 2048, { replicas: { default: 2, min: 1, max: 4 } }), ...HOST_EXPORTERS],
    },
  ],
};

export const STAGES: Record<StageName, StageSpec> = {
  launch,
  "early-growth": earlyGrowth,
  growth,
  scale,
  enterprise,
};

export function isStageName(value: string): value is StageName {
  return (STAGE_NAMES as readonly string[]).includes(value);
}
