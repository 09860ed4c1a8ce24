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


const servicesNamed = (servers: PlannedServer[], name: string) =>
  servers.flatMap((server) => server.services.filter((s) => s.name === name).map((service) => ({ server, service })));

/** Counts what the plan's processes can open and derives PostgreSQL's max_connections from it. */
export function connectionBudget(servers: PlannedServer[]): ConnectionBudget {
  const clients: ConnectionSource[] = [];
  for (const { server, service } of servicesNamed(servers, "api")) {
    const api = service.api!;
    const processes = api.uvicornWorkers * service.replicas;
    const perProcess = api.dbPoolSize + api.dbMaxOverflow;
    clients.push({ source: `api on ${server.name}: ${processes} processes x (${api.dbPoolSize} + ${api.dbMaxOverflow})`, server: server.name, processes, perProcess, total: processes * perProcess });
  }
  for (const { server, service } of servicesNamed(servers, "celery-worker")) {
    // A prefork child runs one task at a time and holds one connection while it does.
    const processes = service.celery!.concurrency * service.replicas;
    clients.push({ source: `celery-worker on ${server.name}: ${service.replicas} x concurrency ${service.celery!.concurrency}`, server: server.name, processes, perProcess: 1, total: processes });
  }
  for (const { server } of servicesNamed(servers, "celery-beat")) {
    clients.push({ source: `celery-beat on ${server.name}`, server: server.name, processes: 1, perProcess: 1, total: 1 });
  }
  const clientTotal = clients.reduce((sum, c) => sum + c.total, 0) + CLIENT_HEADROOM;

  const direct: ConnectionSource[] = servicesNamed(servers, "postgres-exporter")
    .filter(({ server }) => server.services.some((s) => s.name === "db"))
    .map(({ server }) => ({ source: `postgres-exporter on ${server.name}`, server: server.name, processes: 1, perProcess: 1, total: 1 }));
  direct.push({ source: "migrations, advisory locks and operator sessions", server: "-", processes: DIRECT_SESSION_CONNECTIONS, perProcess: 1, total: DIRECT_SESSION_CONNECTIONS });
  const directTotal = direct.reduce((sum, c) => sum + c.total, 0);

  const [pool] = servicesNamed(servers, "pgbouncer");
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
    maxConnections: Math.max(POSTGRES_DEFAULT_MAX_CONNECTIONS, clientTotal + directTotal + SUPERUSER_RESERVED_CONNECTIONS),
  };
}
