import type { StackValidationPolicy } from "@pulumi/policy";
import { CLIENT_HEADROOM, clientSources, describeClients, directSources, SUPERUSER_RESERVED_CONNECTIONS, totalOf } from "../../model/connections";
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
    const sources = clientSources(services.map(({ server, service }) => ({ ...service, server })));
    const clients = totalOf(sources) + CLIENT_HEADROOM;
    const pool = services.find((x) => x.service.pgbouncerMaxClientConn !== undefined);
    const db = services.find((x) => x.service.name === "db" && x.service.postgresMaxConnections !== undefined);
    const direct = totalOf(directSources(budgets.map(({ budget }) => ({ server: budget.server, services: budget.services.map((s) => s.name) })))) + SUPERUSER_RESERVED_CONNECTIONS;
    const breakdown = describeClients(sources);

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
