import type { Plan, PlannedServer } from "./plan-types";
import type { ServiceName } from "./services";

/**
 * Who connects to each service, whichever server it runs on. A service's
 * port is published on the private IP only where one of these runs on
 * another server (Hetzner's firewalls do not filter the private network, so
 * a port nobody needs there stays unpublished), and a service joins the
 * `edge` network only to publish a port, to reach the internet, or to reach
 * a service on another server; everything else stays on the internal
 * backend network.
 */
const CONSUMERS: Partial<Record<ServiceName, readonly ServiceName[]>> = {
  db: ["api", "celery-worker", "celery-beat", "pgbouncer", "postgres-exporter", "db-replica"],
  "db-replica": ["api", "celery-worker", "celery-beat", "postgres-exporter"],
  pgbouncer: ["api", "celery-worker", "celery-beat"],
  redis: ["api", "celery-worker", "celery-beat", "flower", "redis-exporter", "redis-replica", "redis-sentinel"],
  // After a failover the old master replicates from the promoted replica, and Sentinel talks to both.
  "redis-replica": ["redis", "redis-sentinel", "redis-exporter"],
  // Sentinels gossip with each other; Celery, Flower and the Redis start script ask them for the master.
  "redis-sentinel": ["api", "celery-worker", "celery-beat", "flower", "redis-sentinel", "redis", "redis-replica"],
  api: ["prometheus"],
  "node-exporter": ["prometheus"],
  cadvisor: ["prometheus"],
  "postgres-exporter": ["prometheus"],
  "redis-exporter": ["prometheus"],
};

const runs = (server: PlannedServer, service: ServiceName) => server.services.some((s) => s.name === service);

/** Does a service on `server` have a client on another server (Caddy included, which proxies to other API servers in enterprise)? */
export function usedFromOtherServers(plan: Plan, server: PlannedServer, service: ServiceName): boolean {
  const others = plan.servers.filter((s) => s.name !== server.name);
  if ((CONSUMERS[service] ?? []).some((consumer) => others.some((o) => runs(o, consumer)))) return true;
  return service === "api" && others.some((o) => o.caddy?.upstreamServers.includes(server.name));
}

/** Does a service on `server` use a service that runs only on other servers? */
export function reachesOtherServers(plan: Plan, server: PlannedServer, service: ServiceName): boolean {
  return (Object.keys(CONSUMERS) as ServiceName[]).some(
    (target) =>
      CONSUMERS[target]!.includes(service) &&
      !runs(server, target) &&
      plan.servers.some((o) => o.name !== server.name && runs(o, target)),
  );
}

/**
 * Services a client reaches on its own server when one runs there (compose
 * names it, model/addresses.ts endpoint); the others it reaches on every server
 * that runs them (Sentinel's peers, Prometheus's scrape targets).
 */
const LOCAL_FIRST: readonly ServiceName[] = ["db", "db-replica", "pgbouncer", "redis", "redis-replica"];
/** Exporters read the database or Redis on their own server (the primary or its replica), never another server's. */
const OWN_SERVER_ONLY: readonly ServiceName[] = ["postgres-exporter", "redis-exporter"];

/**
 * The other servers a server's containers open connections to over the private
 * network (a client to its service, a Sentinel to its peers, Prometheus to
 * every server's exporters, Caddy to its API upstreams), in plan order.
 */
export function serversReachedFrom(plan: Plan, server: PlannedServer): string[] {
  const uses = (other: PlannedServer, target: ServiceName) =>
    runs(other, target) &&
    !(LOCAL_FIRST.includes(target) && runs(server, target)) &&
    server.services.some((s) => !OWN_SERVER_ONLY.includes(s.name) && CONSUMERS[target]!.includes(s.name));
  const reached = (other: PlannedServer) =>
    (Object.keys(CONSUMERS) as ServiceName[]).some((target) => uses(other, target)) ||
    Boolean(server.caddy?.upstreamServers.includes(other.name));
  return plan.servers.filter((o) => o.name !== server.name && reached(o)).map((o) => o.name);
}
