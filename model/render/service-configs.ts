import { stringify } from "yaml";
import { endpoint, isMultiServer, privateIp } from "../addresses";
import type { Plan, PlannedServer, PlannedService } from "../plan-types";
import { postgresSettings } from "../postgres";
import { SERVICES } from "../services";
import { pgbouncerIni, postgresqlConf, redisConf } from "./conf-files";
import { archivingSettings } from "./postgres-archiving";

/** The database and role the app uses; PgBouncer, the exporters and the app URLs all name them. */
export const DB_NAME = "orion";
export const DB_USER = "orion";
/** Docker network of the compose project's backend, fixed so that pg_hba.conf can name it. */
export const BACKEND_SUBNET = "172.28.0.0/24";
/**
 * Docker network `edge` (egress and publishing), fixed for the same reason:
 * PostgreSQL joins it to reach Object Storage (pgBackRest), and compose's DNS
 * may then answer `db` with its edge address to a client on both networks.
 */
export const EDGE_SUBNET = "172.28.1.0/24";
/** The Redis master name Sentinel watches and Celery asks for. */
export const SENTINEL_MASTER = "orion";
/** Days of metrics Prometheus keeps (guide: "Metrics (15-day retention)"). */
export const PROMETHEUS_RETENTION_DAYS = 15;

const service = (server: PlannedServer, name: string): PlannedService | undefined =>
  server.services.find((s) => s.name === name);

export function postgresConfFor(db: PlannedService): string {
  const s = postgresSettings(db.memoryLimitMb, db.postgres!.maxConnections);
  return postgresqlConf({
    listen_addresses: "*",
    port: SERVICES.db.port!,
    max_connections: s.maxConnections,
    shared_buffers: `${s.sharedBuffersMb}MB`,
    effective_cache_size: `${s.effectiveCacheSizeMb}MB`,
    maintenance_work_mem: `${s.maintenanceWorkMemMb}MB`,
    work_mem: `${s.workMemMb}MB`,
    password_encryption: "scram-sha-256",
    hba_file: "/etc/postgresql/pg_hba.conf",
    // Streaming replication: the move to a db server and the enterprise read replicas both use it.
    wal_level: "replica",
    max_wal_senders: 10,
    max_replication_slots: 10,
    wal_keep_size: "1024MB",
    hot_standby: true,
    log_min_duration_statement: 1000,
    ...archivingSettings(db),
  });
}

/** Local sockets, the compose networks (backend, edge) and the app servers' private IPs; nothing else. */
export function pgHbaFor(plan: Plan): string {
  const clients = plan.servers.filter((s) =>
    s.services.some((x) => ["api", "celery-worker", "celery-beat", "pgbouncer", "postgres-exporter"].includes(x.name)),
  );
  const replicas = plan.servers.filter((s) => s.role === "db-replica");
  const lines = [
    "# TYPE  DATABASE     USER      ADDRESS          METHOD",
    "local   all          all                        trust",
    `host    all          all       ${BACKEND_SUBNET}   scram-sha-256`,
    `host    all          all       ${EDGE_SUBNET}   scram-sha-256`,
    ...clients.map((s) => `host    all          all       ${privateIp(s)}/32     scram-sha-256`),
    ...replicas.map((s) => `host    replication  ${DB_USER}     ${privateIp(s)}/32     scram-sha-256`),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * PgBouncer's auth_file, as a template the deploy fills in from the env file
 * (`${DB_PASSWORD}`). A plain password lets PgBouncer answer SCRAM itself and
 * log in to PostgreSQL with it; the format quotes both fields.
 */
export function pgbouncerUserlist(): string {
  return `"${DB_USER}" "\${DB_PASSWORD}"\n`;
}

export function pgbouncerIniFor(plan: Plan, server: PlannedServer): string {
  const pool = service(server, "pgbouncer")!.pgbouncer!;
  const db = endpoint(plan, "db", server)!;
  return pgbouncerIni({
    databases: { [DB_NAME]: `host=${db.host} port=${db.port} dbname=${DB_NAME}` },
    pgbouncer: {
      listen_addr: "0.0.0.0",
      listen_port: SERVICES.pgbouncer.port!,
      auth_type: "scram-sha-256",
      // Written at deploy time from the env file, so the password never enters this file's source.
      auth_file: "/etc/pgbouncer/userlist.txt",
      pool_mode: pool.poolMode,
      max_client_conn: pool.maxClientConn,
      default_pool_size: pool.defaultPoolSize,
      // One pool; this caps what PostgreSQL sees even if more users or databases are added.
      max_db_connections: pool.defaultPoolSize,
      reserve_pool_size: 0,
      server_reset_query: "DISCARD ALL",
      ignore_startup_parameters: "extra_float_digits,options",
      admin_users: DB_USER,
      stats_users: DB_USER,
    },
  });
}

/**
 * Redis as the Celery broker. `appendonly yes` with `everysec`: queued tasks
 * survive a restart, losing at most one second of writes on a crash.
 */
export function redisConfFor(redis: PlannedService): string {
  const settings = redis.redis!;
  return redisConf([
    ["bind", "0.0.0.0"],
    ["port", SERVICES.redis.port!],
    ["protected-mode", "no"],
    ["maxmemory", `${settings.maxmemoryMb}mb`],
    ["maxmemory-policy", settings.maxmemoryPolicy],
    ["appendonly", "yes"],
    ["appendfsync", "everysec"],
    // No `dir`: the official image starts Redis in /data, the named volume, and a test in its own directory.
    ["save", ""],
    // No `replicaof`: with Sentinel, Redis takes its role from the Sentinels at start (redis-ha.ts).
  ]);
}

/** Scrape targets with `server`, `role` and `stage` labels, over the private network where the target is elsewhere. */
export function prometheusConfigFor(plan: Plan, server: PlannedServer): string {
  const multi = isMultiServer(plan);
  const jobs = ["node-exporter", "cadvisor", "postgres-exporter", "redis-exporter", "api"] as const;
  const scrapeConfigs = jobs
    .map((job) => ({
      job_name: job,
      static_configs: plan.servers
        .filter((s) => s.services.some((x) => x.name === job))
        .map((s) => ({
          targets: [`${multi && s.name !== server.name ? privateIp(s) : job}:${SERVICES[job].port}`],
          labels: { server: s.name, role: s.role, stage: plan.stage },
        })),
    }))
    .filter((j) => j.static_configs.length > 0);
  return stringify({
    global: { scrape_interval: "15s", evaluation_interval: "15s", external_labels: { stage: plan.stage } },
    // Relative to this file: /etc/prometheus/rules in the container, beside the file in a check.
    rule_files: ["rules/*.yml"],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`alertmanager:${SERVICES.alertmanager.port}`] }] }] },
    scrape_configs: [
      {
        job_name: "prometheus",
        static_configs: [
          {
            targets: [`localhost:${SERVICES.prometheus.port}`],
            labels: { server: server.name, role: server.role, stage: plan.stage },
          },
        ],
      },
      ...scrapeConfigs,
    ],
  });
}
