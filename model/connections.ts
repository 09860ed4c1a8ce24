import type { PlannedServer } from "./plan-types";

/**
 * PostgreSQL connections, counted from the processes that open them. The
 * guide's pools (10 + 20 per process) and PgBouncer (100 clients, pool 20)
 * only work together when these sums fit.
 */

/** Client connections kept free for psql sessions and one-off scripts through the pool. */
export const CLIENT_HEADROOM = 5;
/**
 * Connections that bypass PgBouncer: migrations and session advisory locks (2),
 * which transaction pooling cannot carry, and psql for an operator (2).
 */
export const DIRECT_SESSION_CONNECTIONS = 4;
/** PostgreSQL's own default; a server without PgBouncer keeps it. */
export const POSTGRES_DEFAULT_MAX_CONNECTIONS = 100;
/** PostgreSQL's default superuser_reserved_connections. */
export const SUPERUSER_RESERVED_CONNECTIONS = 3;

export interface ConnectionSource {
  /** What opens the connections, e.g. "api on app: 4 processes x (5 + 5)". */
  source: string;
  server: string;
  processes: number;
  perProcess: number;
  total: number;
}

export interface ConnectionBudget {
  /** Do the API and Celery connect through PgBouncer? */
  viaPgBouncer: boolean;
  clients: ConnectionSource[];
  headroom: number;
  /** Connections the app side can open: the sum of `clients` plus headroom. */
  clientTotal: number;
  pgbouncer?: { server: string; maxClientConn: number; defaultPoolSize: number; poolMode: string };
  /** Connections PostgreSQL must accept from PgBouncer (its pool) or from the app directly. */
  serverConnections: number;
  /** Exporters and sessions that connect to PostgreSQL directly. */
  direct: ConnectionSource[];
  maxConnections: number;
}

/** A service as far as connections go: from the plan, or from a server budget the policy pack reads. */
export interface ConnectingService {
  server: string;
  name: string;
  replicas: number;
  uvicornWorkers?: number;
  dbPoolSize?: number;
  dbMaxOverflow?: number;
  celeryConcurrency?: number;
}

/** What the app side can open: API processes x pool, Celery children, celery-beat. */
export function clientSources(services: ConnectingService[]): ConnectionSource[] {
  const sources: ConnectionSource[] = [];
  for (const s of services) {
    if (s.uvicornWorkers !== undefined) {
      const processes = s.uvicornWorkers * s.replicas;
      const perProcess = (s.dbPoolSize ?? 0) + (s.dbMaxOverflow ?? 0);
      sources.push({
        source: `api on ${s.server}: ${processes} processes x (${s.dbPoolSize} + ${s.dbMaxOverflow})`,
        server: s.server,
        processes,
        perProcess,
        total: processes * perProcess,
      });
    }
    if (s.celeryConcurrency !== undefined) {
      // A prefork child runs one task at a time and holds one connection while it does.
      const processes = s.celeryConcurrency * s.replicas;
      sources.push({
        source: `celery-worker on ${s.server}: ${s.replicas} x concurrency ${s.celeryConcurrency}`,
        server: s.server,
        processes,
        perProcess: 1,
        total: processes,
      });
    }
    if (s.name === "celery-beat")
      sources.push({
        source: `celery-beat on ${s.server}`,
        server: s.server,
        processes: s.replicas,
        perProcess: 1,
        total: s.replicas,
      });
  }
  return sources;
}

/** Connections that bypass PgBouncer: the primary's exporter and the direct sessions. */
export function directSources(servers: { server: string; services: string[] }[]): ConnectionSource[] {
  const direct: ConnectionSource[] = servers
    .filter((s) => s.services.includes("db") && s.services.includes("postgres-exporter"))
    .map((s) => ({
      source: `postgres-exporter on ${s.server}`,
      server: s.server,
      processes: 1,
      perProcess: 1,
      total: 1,
    }));
  direct.push({
    source: "migrations, advisory locks and operator sessions",
    server: "-",
    processes: DIRECT_SESSION_CONNECTIONS,
    perProcess: 1,
    total: DIRECT_SESSION_CONNECTIONS,
  });
  return direct;
}

export const totalOf = (sources: ConnectionSource[]) => sources.reduce((sum, c) => sum + c.total, 0);

/** "120 api on app: 4 processes x (10 + 20), ..., 5 headroom": the sum spelled out in messages. */
export function describeClients(clients: ConnectionSource[]): string {
  return `${clients.map((c) => `${c.total} ${c.source}`).join(", ")}, ${CLIENT_HEADROOM} headroom`;
}

/** Counts what the plan's processes can open and derives PostgreSQL's max_connections from it. */
export function connectionBudget(servers: PlannedServer[]): ConnectionBudget {
  const clients = clientSources(
    servers.flatMap((server) =>
      server.services.map((s) => ({
        server: server.name,
        name: s.name,
        replicas: s.replicas,
        uvicornWorkers: s.api?.uvicornWorkers,
        dbPoolSize: s.api?.dbPoolSize,
        dbMaxOverflow: s.api?.dbMaxOverflow,
        celeryConcurrency: s.celery?.concurrency,
      })),
    ),
  );
  const clientTotal = totalOf(clients) + CLIENT_HEADROOM;
  const direct = directSources(servers.map((s) => ({ server: s.name, services: s.services.map((x) => x.name) })));
  const directTotal = totalOf(direct);

  const pool = servers.flatMap((server) =>
    server.services.filter((s) => s.pgbouncer).map((service) => ({ server, service })),
  )[0];
  if (pool) {
    const settings = pool.service.pgbouncer!;
    // One database and one user, so one pool: at most default_pool_size server connections.
    const serverConnections = settings.defaultPoolSize;
    return {
      viaPgBouncer: true,
      clients,
      headroom: CLIENT_HEADROOM,
      clientTotal,
      pgbouncer: { server: pool.server.name, ...settings },
      serverConnections,
      direct,
      maxConnections: serverConnections + directTotal + SUPERUSER_RESERVED_CONNECTIONS,
    };
  }
  return {
    viaPgBouncer: false,
    clients,
    headroom: CLIENT_HEADROOM,
    clientTotal,
    serverConnections: clientTotal,
    direct,
    maxConnections: Math.max(
      POSTGRES_DEFAULT_MAX_CONNECTIONS,
      clientTotal + directTotal + SUPERUSER_RESERVED_CONNECTIONS,
    ),
  };
}
