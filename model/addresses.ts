import type { Plan, PlannedServer } from "./plan-types";
import { SERVICES, type ServiceName } from "./services";
import type { ServerRole } from "./stages";

/** The private network: one /16 with one subnet for all servers, in the location's network zone. */
export const NETWORK_CIDR = "10.0.0.0/16";
export const SUBNET_CIDR = "10.0.1.0/24";

/**
 * Each server's private IP, fixed by role and number so that it is the same in
 * every stage: configs that name another server never change when a stage adds servers.
 */
const ROLE_BASE: Record<ServerRole, number> = {
  app: 10,
  db: 20,
  "db-replica": 20,
  redis: 30,
  "redis-replica": 31,
  api: 40,
  worker: 50,
};

export function privateIp(server: Pick<PlannedServer, "name" | "role">): string {
  const number = /-(\d+)$/.exec(server.name);
  const offset =
    server.role === "db-replica" || server.role === "api" || server.role === "worker" ? Number(number?.[1] ?? 0) : 0;
  return `10.0.1.${ROLE_BASE[server.role] + offset}`;
}

/** Where a service can be reached from a container on `from`: its compose name on the same server, else the other server's private IP. */
export interface Endpoint {
  host: string;
  port: number;
  server: string;
}

export function endpoint(plan: Plan, service: ServiceName, from: PlannedServer): Endpoint | undefined {
  const local = from.services.some((s) => s.name === service);
  const host = local ? from : plan.servers.find((s) => s.services.some((x) => x.name === service));
  if (!host) return undefined;
  return { host: local ? service : privateIp(host), port: SERVICES[service].port!, server: host.name };
}

export function endpoints(plan: Plan, service: ServiceName): Endpoint[] {
  return plan.servers
    .filter((s) => s.services.some((x) => x.name === service))
    .map((s) => ({ host: privateIp(s), port: SERVICES[service].port!, server: s.name }));
}

/** Several servers: services others use are published on the private IP (never on a public one). */
export function isMultiServer(plan: Plan): boolean {
  return plan.servers.length > 1;
}
