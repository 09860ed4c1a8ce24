import type { StackValidationPolicy } from "@pulumi/policy";
import { CLIENT_HEADROOM, DIRECT_SESSION_CONNECTIONS, SUPERUSER_RESERVED_CONNECTIONS } from "../../model/connections";
import { budgetsIn } from "../lib/records";

/**
 * Connection counts must add up across servers: what the app can open
 * against PgBouncer's max_client_conn, and PgBouncer's pool plus direct
 * sessions against PostgreSQL's max_connections.
 */
export const pgbouncerEnforceConnectionLimits: StackValidationPolicy = {
  name: "pgbouncer-enforce-connection-limits",
  description: "App client connections must fit PgBouncer's max_client_conn, and PgBouncer's pool must fit PostgreSQL's max_connections.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const budgets = budgetsIn(args.resources);
    const services = budgets.flatMap(({ resource, budget }) => budget.services.map((service) => ({ resource, server: budget.server, service })));
    const sources: { label: string; count: number }[] = [];
    for (const { server, service: s } of services) {
      if (s.uvicornWorkers !== undefined) {
        const perProcess = (s.dbPoolSize ?? 0) + (s.dbMaxOverflow ?? 0);
        sources.push({ label: `api on ${server}: ${s.uvicornWorkers * s.replicas} processes x (${s.dbPoolSize} + ${s.dbMaxOverflow})`, count: s.uvicornWorkers * s.replicas * perProcess });
      }
      if (s.celeryConcurrency !== undefined) sources.push({ label: `celery-worker on ${server}: ${s.replicas} x concurrency ${s.celeryConcurrency}`, count: s.celeryConcurrency * s.replicas });
      if (s.name === "celery-beat") sources.push({ label: `celery-beat on ${server}`, count: s.replicas });
    }
    const clients = sources.reduce((sum, x) => sum + x.count, 0) + CLIENT_HEADROOM;
    const pool = services.find((x) => x.service.pgbouncerMaxClientConn !== undefined);
    const db = services.find((x) => x.service.name === "db" && x.service.postgresMaxConnections !== undefined);
    const exporters = budgets.filter(({ budget }) => budget.services.some((s) => s.name === "db") && budget.services.some((s) => s.name === "postgres-exporter")).length;
    const direct = DIRECT_SESSION_CONNECTIONS + exporters + SUPERUSER_RESERVED_CONNECTIONS;
    const breakdown = `${sources.map((x) => `${x.count} ${x.label}`).join(", ")}, ${CLIENT_HEADROOM} headroom`;

    if (pool) {
      const maxClient = pool.service.pgbouncerMaxClientConn!;
      if (clients > maxClient) {
        report(`server ${pool.server}: pgbouncer accepts max_client_conn ${maxClient}, but the app can open ${clients} client connections (${breakdown}); lower Uvicorn workers, pool sizes or Celery replicas, or raise max_client_conn`, pool.resource.urn);
      }
      if (db) {
        const poolSize = pool.service.pgbouncerDefaultPoolSize ?? 0;
        const max = db.service.postgresMaxConnections!;
        if (poolSize + direct > max) {
          report(`server ${db.server}: pgbouncer's pool of ${poolSize} server connections plus ${direct} direct and reserved ones is ${poolSize + direct}, above PostgreSQL's max_connections ${max}`, db.resource.urn);
        }
      }
    } else if (db && clients + direct > db.service.postgresMaxConnections!) {
      report(`server ${db.server}: the app can open ${clients} connections straight to PostgreSQL (${breakdown}) plus ${direct} direct and reserved ones, above max_connections ${db.service.postgresMaxConnections}`, db.resource.urn);
    }
  },
};
