import type { Plan, PlannedServer } from "./plan-types";

/**
 * What the policy pack judges about one server. It travels as the first
 * trigger of the server's deploy command (`<server>-deploy`), so a change in
 * it redeploys that server and nothing else. It holds no IP and no secret,
 * so every figure is known at preview time, before any server exists.
 */
export const SERVER_BUDGET_KIND = "orion:ServerBudget";

export interface ServerBudgetRecord {
  kind: typeof SERVER_BUDGET_KIND;
  stage: string;
  location: string;
  server: string;
  role: string;
  serverType: string;
  hostReserveMb: number;
  /** Containers whose limits are part of the host reserve, not of the services (Caddy). */
  hostServices: { name: string; image: string; memoryLimitMb: number }[];
  holdsData: boolean;
  services: {
    name: string;
    image: string;
    memoryLimitMb: number;
    replicas: number;
    /** host:port mappings as compose publishes them. */
    ports: string[];
    uvicornWorkers?: number;
    dbPoolSize?: number;
    dbMaxOverflow?: number;
    celeryConcurrency?: number;
    redisMaxmemoryMb?: number;
    redisMaxmemoryPolicy?: string;
    pgbouncerPoolMode?: string;
    pgbouncerMaxClientConn?: number;
    pgbouncerDefaultPoolSize?: number;
    postgresMaxConnections?: number;
  }[];
}

export function budgetRecord(plan: Plan, server: PlannedServer, ports: Record<string, string[]>): ServerBudgetRecord {
  return {
    kind: SERVER_BUDGET_KIND,
    stage: plan.stage,
    location: plan.location,
    server: server.name,
    role: server.role,
    serverType: server.type,
    hostReserveMb: server.hostReserveMb,
    hostServices: server.caddy
      ? [{ name: "caddy", image: server.caddy.image, memoryLimitMb: server.caddy.memoryLimitMb }]
      : [],
    holdsData: server.holdsData,
    services: server.services.map((s) => ({
      name: s.name,
      image: s.image,
      memoryLimitMb: s.memoryLimitMb,
      replicas: s.replicas,
      ports: ports[s.name] ?? [],
      ...(s.api
        ? { uvicornWorkers: s.api.uvicornWorkers, dbPoolSize: s.api.dbPoolSize, dbMaxOverflow: s.api.dbMaxOverflow }
        : {}),
      ...(s.celery ? { celeryConcurrency: s.celery.concurrency } : {}),
      ...(s.redis ? { redisMaxmemoryMb: s.redis.maxmemoryMb, redisMaxmemoryPolicy: s.redis.maxmemoryPolicy } : {}),
      ...(s.pgbouncer
        ? {
            pgbouncerPoolMode: s.pgbouncer.poolMode,
            pgbouncerMaxClientConn: s.pgbouncer.maxClientConn,
            pgbouncerDefaultPoolSize: s.pgbouncer.defaultPoolSize,
          }
        : {}),
      ...(s.postgres ? { postgresMaxConnections: s.postgres.maxConnections } : {}),
    })),
  };
}
