import { endpoint, endpoints } from "../addresses";
import type { Plan, PlannedServer } from "../plan-types";
import { SERVICES } from "../services";
import { createHash } from "node:crypto";
import {
  COMPOSE_PROJECT,
  imageRef,
  publishedPorts,
  renderCompose,
  FILLED_IN_HASH_ENV,
  type ImageDigests,
} from "./compose";
import {
  needsReleaseScript,
  RELEASE_SCRIPT,
  renderReleaseScript,
  SURGE_CADDYFILE,
  surgeMapping,
} from "./release-script";
import { CADDYFILE, renderCaddyfile } from "./caddy";
import {
  SMTP_PASSWORD_FILE,
  WATCHDOG_URL_ENV,
  WEBHOOK_URL_ENV,
  grafanaDashboard,
  grafanaDashboardProvider,
  grafanaDatasource,
  renderAlertmanagerConfig,
  renderAlertRules,
  type AlertReceivers,
} from "./monitoring";
import { PGBACKREST_SECRET_ENV, pgbackrestFiles } from "./pgbackrest";
import {
  DB_NAME,
  DB_USER,
  pgbouncerIniFor,
  pgbouncerUserlist,
  pgHbaFor,
  postgresConfFor,
  prometheusConfigFor,
  redisConfFor,
} from "./service-configs";
import { redisHaLayout, redisStartScript, sentinelSeedConf, sentinelStartScript } from "./redis-ha";

/** Files that get values from the env file on the server: `name.tmpl` becomes `name`. */
export const TEMPLATE_SUFFIX = ".tmpl";

/** Where the compose project lives on every server. */
export const DEPLOY_DIR = "/opt/orion";

/** Every file one server's compose project needs, by path relative to DEPLOY_DIR. No secret is in any of them. */
export function renderServerFiles(
  plan: Plan,
  server: PlannedServer,
  digests: ImageDigests = {},
  receivers: AlertReceivers = { webhook: false },
): Record<string, string> {
  const files: Record<string, string> = {};
  const has = (name: string) => server.services.find((s) => s.name === name);
  const sentinels = plan.servers.some((s) => s.services.some((x) => x.name === "redis-sentinel"));
  const db = has("db") ?? has("db-replica");
  if (db) {
    files["config/postgres/postgresql.conf"] = postgresConfFor(db);
    files["config/postgres/pg_hba.conf"] = pgHbaFor(plan);
    // The Dockerfile names the base image by digest, as compose would pull it.
    Object.assign(
      files,
      pgbackrestFiles(
        plan,
        server,
        digests[db.image] ? `${db.image}@${digests[db.image]}` : db.image,
        plan.backup.caCert,
      ),
    );
  }
  if (server.caddy) files[CADDYFILE] = renderCaddyfile(plan, server, publishedPorts(plan, server));
  const release = plan.releases.find((r) => r.server === server.name);
  if (release && needsReleaseScript(server)) {
    const published = publishedPorts(plan, server);
    files[RELEASE_SCRIPT] = renderReleaseScript({
      plan,
      server,
      release,
      appImageRef: imageRef(appImageOf(plan), digests),
      published,
      project: COMPOSE_PROJECT,
    });
    // While the surge container serves, Caddy sends this server's API requests to it (model/release.ts).
    if (server.caddy && release.api && release.api.strategy !== "rolling" && published.api?.[0]) {
      files[SURGE_CADDYFILE] = renderCaddyfile(plan, server, { ...published, api: [surgeMapping(published.api[0])] });
    }
  }
  if (has("pgbouncer")) {
    files["config/pgbouncer/pgbouncer.ini"] = pgbouncerIniFor(plan, server);
    files[`config/pgbouncer/userlist.txt${TEMPLATE_SUFFIX}`] = pgbouncerUserlist();
  }
  const redis = has("redis") ?? has("redis-replica");
  // With Sentinel, Redis takes its role from the Sentinels at start (redis-ha.ts), so no file fixes a `replicaof`.
  if (redis) files["config/redis/redis.conf"] = redisConfFor(redis);
  if (redis && sentinels)
    files["config/redis/redis-start.sh"] = redisStartScript(
      redisHaLayout(plan, server, redis.name as "redis" | "redis-replica"),
    );
  const sentinel = has("redis-sentinel");
  if (sentinel) {
    files["config/redis/sentinel.conf"] = sentinelSeedConf(redisHaLayout(plan, server, "redis-sentinel"), sentinel);
    files["config/redis/sentinel-start.sh"] = sentinelStartScript(redisHaLayout(plan, server, "redis-sentinel"));
  }
  if (has("prometheus")) {
    files["config/prometheus/prometheus.yml"] = prometheusConfigFor(plan, server);
    files["config/prometheus/rules/orion.yml"] = renderAlertRules();
  }
  if (has("grafana")) {
    files["config/grafana/provisioning/datasources/prometheus.yaml"] = grafanaDatasource();
    files["config/grafana/provisioning/dashboards/orion.yaml"] = grafanaDashboardProvider();
    files["config/grafana/provisioning/dashboards/json/orion.json"] = grafanaDashboard();
  }
  // With a webhook the config holds `${ALERT_WEBHOOK_URL}`, filled in on the server (see renderDeployScript).
  if (has("alertmanager"))
    files[`config/alertmanager/alertmanager.yml${receivers.webhook || receivers.watchdog ? TEMPLATE_SUFFIX : ""}`] =
      renderAlertmanagerConfig(receivers);
  // Last: each service's labels carry the hash of the files it mounts.
  return { "compose.yaml": renderCompose(plan, server, digests, files), ...files };
}

/** The app image every server runs (orion:appImage): the api, celery-worker and celery-beat services' image. */
function appImageOf(plan: Plan): string {
  const app = plan.servers
    .flatMap((s) => s.services)
    .find((s) => s.name === "api" || s.name === "celery-worker" || s.name === "celery-beat");
  return app?.image ?? "";
}

/** Secrets the program reads from Pulumi config (`pulumi config set --secret ...`). */
export interface StackSecrets {
  dbPassword: string;
  flowerPassword: string;
  grafanaPassword: string;
  registryUsername?: string;
  registryPassword?: string;
  smtpPassword?: string;
  alertWebhookUrl?: string;
  /** orion:appSecrets: the app's own secrets, by variable name. */
  appSecrets?: Record<string, string>;
  watchdogUrl?: string;
  /** The backup bucket's S3 keys and the repository's encryption passphrase; unset only where `pulumi up` stops (no orion:backupBucket). */
  backupAccessKey?: string;
  backupSecretKey?: string;
  backupPassphrase?: string;
}

/** Characters no secret may contain: they would end its single-quoted env value. */
const UNSAFE_SECRET = /['\n\r]/;
/** The database password also goes into connection URLs, where these would end the userinfo, and into PgBouncer's quoted userlist. */
const UNSAFE_IN_URL = /[@:/?#"]/;

/**
 * The env file behind `${...}` in the compose file. It is the only place
 * secrets reach the host: written with mode 600 from the deploy command's stdin.
 */
export function renderEnvFile(
  plan: Plan,
  server: PlannedServer,
  secrets: StackSecrets,
  appEnv: Record<string, string> = {},
): string {
  for (const [name, value] of Object.entries(secrets)) {
    if (typeof value === "string" && UNSAFE_SECRET.test(value))
      throw new Error(`orion:${name} contains a ' or a line break; choose a value without them`);
  }
  for (const [name, value] of Object.entries(secrets.appSecrets ?? {})) {
    if (UNSAFE_SECRET.test(value))
      throw new Error(`orion:appSecrets.${name} contains a ' or a line break; choose a value without them`);
  }
  if (UNSAFE_IN_URL.test(secrets.dbPassword))
    throw new Error(
      'orion:dbPassword contains one of @ : / ? # ", which would break the database URLs or the PgBouncer userlist; choose one without them (e.g. openssl rand -hex 24)',
    );
  const env: Record<string, string> = { DB_PASSWORD: secrets.dbPassword };
  const url = (host: string, port: number) =>
    `postgresql://${DB_USER}:${secrets.dbPassword}@${host}:${port}/${DB_NAME}`;
  const pool = endpoint(plan, "pgbouncer", server);
  const db = endpoint(plan, "db", server);
  if (db) {
    // Through PgBouncer where the stage has it; migrations and advisory locks always go direct.
    env.DATABASE_URL = pool ? url(pool.host, pool.port) : url(db.host, db.port);
    env.DATABASE_URL_DIRECT = url(db.host, db.port);
    const replica = endpoints(plan, "db-replica")[0];
    if (replica) env.DATABASE_URL_READONLY = url(replica.host, replica.port);
    env.POSTGRES_EXPORTER_DSN = `${url(server.services.some((s) => s.name === "db") ? "db" : db.host, SERVICES.db.port!)}?sslmode=disable`;
  }
  if (server.services.some((s) => s.name === "db-replica"))
    env.POSTGRES_EXPORTER_DSN = `${url("db-replica", SERVICES.db.port!)}?sslmode=disable`;
  if (server.services.some((s) => s.name === "pgbackrest")) {
    env[PGBACKREST_SECRET_ENV.accessKey] = secrets.backupAccessKey ?? "";
    env[PGBACKREST_SECRET_ENV.secretKey] = secrets.backupSecretKey ?? "";
    env[PGBACKREST_SECRET_ENV.passphrase] = secrets.backupPassphrase ?? "";
  }
  env.FLOWER_BASIC_AUTH = `admin:${secrets.flowerPassword}`;
  env.GRAFANA_ADMIN_PASSWORD = secrets.grafanaPassword;
  if (server.services.some((s) => s.name === "alertmanager")) {
    if (secrets.smtpPassword) env[SMTP_PASSWORD_FILE.env] = secrets.smtpPassword;
    if (secrets.alertWebhookUrl) env[WEBHOOK_URL_ENV] = secrets.alertWebhookUrl;
    if (secrets.watchdogUrl) env[WATCHDOG_URL_ENV] = secrets.watchdogUrl;
    // A new SMTP password, webhook or watchdog URL changes files the server writes; this recreates Alertmanager to read them.
    env[FILLED_IN_HASH_ENV] = createHash("sha256")
      .update(`${secrets.smtpPassword ?? ""}\0${secrets.alertWebhookUrl ?? ""}\0${secrets.watchdogUrl ?? ""}`)
      .digest("hex")
      .slice(0, 16);
  }
  if (secrets.registryPassword) {
    env.REGISTRY_USERNAME = secrets.registryUsername ?? "";
    env.REGISTRY_PASSWORD = secrets.registryPassword;
  }
  // The app's own settings and secrets, on servers that run the app: compose hands them to api, celery-worker and celery-beat only.
  if (server.services.some((s) => s.name === "api" || s.name === "celery-worker" || s.name === "celery-beat")) {
    for (const name of plan.app.envNames) env[name] = secrets.appSecrets?.[name] ?? appEnv[name] ?? "";
  }
  return Object.entries(env)
    .map(([k, v]) => `${k}='${v}'`)
    .join("\n")
    .concat("\n");
}
