import {
  CLIENT_HEADROOM,
  clientSources,
  describeClients,
  directSources,
  totalOf,
  type ConnectingService,
} from "../../model/connections";
import type { Finding } from "../lib/finding";
import {
  composeAt,
  forEachCompose,
  replicasOf,
  stackCheck,
  type OrionStackPolicy,
  type ReadableDeployment,
} from "../lib/policy";
import { serverTypeOf } from "../lib/servers";
import { appPool, celeryConcurrency, uvicornWorkers } from "../files/app";
import { pgbouncerConfig } from "../files/pgbouncer";
import { postgresConfig, settingOf } from "../files/postgres";
import { imageRepository, kindOf } from "../files/services";
import type { Setting } from "../files/settings";

const at = (d: ReadableDeployment, setting: Setting | undefined, fallback: (string | number)[]): Partial<Finding> =>
  setting
    ? { server: d.serverName, urn: d.command.urn, file: setting.file, line: setting.line, key: setting.key }
    : composeAt(d, fallback);

/**
 * Connection counts must add up across servers, counted from the compose
 * files: what the app's processes can open against PgBouncer's
 * max_client_conn, and PgBouncer's pools plus direct sessions against
 * PostgreSQL's max_connections.
 */
export const pgbouncerEnforceConnectionLimits: OrionStackPolicy = {
  name: "pgbouncer-enforce-connection-limits",
  description:
    "App client connections must fit PgBouncer's max_client_conn, and PgBouncer's pools plus direct sessions must fit PostgreSQL's max_connections.",
  enforcementLevel: "mandatory",
  reads: [
    "compose file: API `--workers`, `DB_POOL_SIZE`, `DB_MAX_OVERFLOW`; Celery `--concurrency`; replicas; postgres-exporter services",
    "pgbouncer.ini: `max_client_conn`, `default_pool_size`, `reserve_pool_size`, `max_db_connections`, `[databases]`",
    "postgresql.conf: `max_connections`, `superuser_reserved_connections`",
  ],
  validateStack: stackCheck((view, report) => {
    const services: ConnectingService[] = [];
    const pools: { d: ReadableDeployment; name: string; config: ReturnType<typeof pgbouncerConfig> }[] = [];
    const primaries: { d: ReadableDeployment; name: string; config: ReturnType<typeof postgresConfig> }[] = [];
    const placed: { server: string; services: string[] }[] = [];
    for (const server of view.servers) {
      const vcpu = serverTypeOf(server)?.vcpu ?? 1;
      const names: string[] = [];
      forEachCompose({ ...view, deployments: server.deployments }, (d) => {
        for (const s of d.compose.services) {
          const kind = kindOf(s);
          const replicas = replicasOf(d, s);
          if (kind === "api")
            services.push({
              server: d.serverName,
              name: s.name,
              replicas,
              uvicornWorkers: uvicornWorkers(s),
              dbPoolSize: appPool(s).size,
              dbMaxOverflow: appPool(s).overflow,
            });
          if (kind === "celery-worker")
            services.push({
              server: d.serverName,
              name: s.name,
              replicas,
              celeryConcurrency: celeryConcurrency(s, vcpu),
            });
          if (kind === "celery-beat") services.push({ server: d.serverName, name: "celery-beat", replicas });
          if (kind === "pgbouncer") pools.push({ d, name: s.name, config: pgbouncerConfig(d, s, d.composePath) });
          if (kind === "postgres") {
            const config = postgresConfig(d, s, d.composePath);
            if (!config.replica) {
              primaries.push({ d, name: s.name, config });
              names.push("db");
            }
          }
          if (kind === "exporter" && imageRepository(s.image).includes("postgres")) names.push("postgres-exporter");
        }
      });
      placed.push({ server: server.name, services: names });
    }
    const sources = clientSources(services);
    const clients = totalOf(sources) + CLIENT_HEADROOM;
    const breakdown = describeClients(sources);
    const direct = directSources(placed);
    const directTotal = totalOf(direct);

    if (pools.length > 0) {
      const maxClient = pools.reduce((sum, p) => sum + p.config.get("max_client_conn").value, 0);
      if (clients > maxClient) {
        const first = pools[0];
        report({
          ...at(first.d, first.config.get("max_client_conn").setting, ["services", first.name]),
          problem: `${first.name} accepts max_client_conn ${maxClient}, but the app can open ${clients} client connections (${breakdown})`,
          fix: "lower Uvicorn workers, DB_POOL_SIZE/DB_MAX_OVERFLOW or Celery concurrency and replicas, or raise max_client_conn",
        });
      }
    }
    for (const db of primaries) {
      const max = Number(settingOf(db.config, "max_connections").value);
      const reserved = Number(settingOf(db.config, "superuser_reserved_connections").value);
      const where = at(db.d, settingOf(db.config, "max_connections").setting, ["services", db.name, "command"]);
      if (pools.length > 0) {
        const poolTotal = pools.reduce((sum, p) => {
          const perPool = p.config.get("default_pool_size").value + p.config.get("reserve_pool_size").value;
          const cap = p.config.get("max_db_connections").value;
          return sum + p.config.databases * (cap > 0 ? Math.min(perPool, cap) : perPool);
        }, 0);
        if (poolTotal + directTotal + reserved > max) {
          report({
            ...where,
            problem: `PgBouncer's pools of ${poolTotal} server connections plus ${directTotal} direct (${direct.map((s) => `${s.total} ${s.source}`).join(", ")}) and ${reserved} superuser-reserved is ${poolTotal + directTotal + reserved}, above max_connections ${max}`,
            fix: "lower default_pool_size (or set max_db_connections) in pgbouncer.ini, or raise max_connections",
          });
        }
      } else if (clients + directTotal + reserved > max) {
        report({
          ...where,
          problem: `the app can open ${clients} connections straight to PostgreSQL (${breakdown}) plus ${directTotal} direct and ${reserved} superuser-reserved, above max_connections ${max}`,
          fix: "lower Uvicorn workers, pool sizes or Celery concurrency, put PgBouncer in front, or raise max_connections",
        });
      }
    }
  }),
};
