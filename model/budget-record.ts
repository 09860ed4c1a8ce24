import type { Plan, PlannedServer } from "./plan-types";

/**
 * What the policy pack judges about one server. It travels as the first
 * trigger of the server's deploy command (`<server>-deploy`), so a change in
 * it redeploys that server and nothing else. It holds no IP and no secret,
 * so every figure is known at preview time, before any server exists.
 */
export const SERVER_BUDGET_KIND = "orion:ServerBudget";
/** Stage-wide figures for the advisory policies, on the `stage` resource. */
export const STAGE_SUMMARY_KIND = "orion:StageSummary";

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
  /** How a release replaces the API here (model/release.ts): what stops first to make room for the second API container. */
  release?: { strategy: string; stoppedFirst: string[] };
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

export interface StageSummaryRecord {
  kind: typeof STAGE_SUMMARY_KIND;
  stage: string;
  location: string;
  servers: string[];
  monthlyCostEur: number;
  monthlyBudgetEur?: number;
  clients?: number;
  stores?: number;
}

export function stageSummary(plan: Plan, extra: { monthlyBudgetEur?: number; clients?: number; stores?: number }): StageSummaryRecord {
  return {
    kind: STAGE_SUMMARY_KIND,
    stage: plan.stage,
    location: plan.location,
    servers: plan.servers.map((s) => s.name),
    monthlyCostEur: plan.cost.totalEur,
    ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)),
  };
}

function releaseOf(plan: Plan, server: PlannedServer): Pick<ServerBudgetRecord, "release"> {
  const api = plan.releases.find((r) => r.server === server.name)?.api;
  return api ? { release: { strategy: api.strategy, stoppedFirst: api.stoppedFirst } } : {};
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
    hostServices: server.caddy ? [{ name: "caddy", image: server.caddy.image, memoryLimitMb: server.caddy.memoryLimitMb }] : [],
    holdsData: server.holdsData,
    ...releaseOf(plan, server),
    services: server.services.map((s) => ({
      name: s.name,
      image: s.image,
      memoryLimitMb: s.memoryLimitMb,
      replicas: s.replicas,
      ports: ports[s.name] ?? [],
      ...(s.api ? { uvicornWorkers: s.api.uvicornWorkers, dbPoolSize: s.api.dbPoolSize, dbMaxOverflow: s.api.dbMaxOverflow } : {}),
      ...(s.celery ? { celeryConcurrency: s.celery.concurrency } : {}),
      ...(s.redis ? { redisMaxmemoryMb: s.redis.maxmemoryMb, redisMaxmemoryPolicy: s.redis.maxmemoryPolicy } : {}),
      ...(s.pgbouncer ? { pgbouncerPoolMode: s.pgbouncer.poolMode, pgbouncerMaxClientConn: s.pgbouncer.maxClientConn, pgbouncerDefaultPoolSize: s.pgbouncer.defaultPoolSize } : {}),
      ...(s.postgres ? { postgresMaxConnections: s.postgres.maxConnections } : {}),
    })),
  };
}
