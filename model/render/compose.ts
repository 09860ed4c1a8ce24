import { toYaml } from "./yaml";
import { caddyComposeService } from "./caddy";
import {
  REDIS_START_SCRIPT,
  REDIS_TEMPLATE,
  SENTINEL_START_SCRIPT,
  SENTINEL_TEMPLATE,
  redisHaLayout,
  redisStartCommand,
} from "./redis-ha";
import { reachesOtherServers, usedFromOtherServers } from "../reach";
import { pgdataMountCheck, PGDATA_IN_CONTAINER } from "./pgdata-check";
import { CONFIG_HASH_LABEL, configHash } from "./config-hash";

/** Shell text inside a compose file: `$` is compose's interpolation sign, so it is doubled. */
const composeShell = (script: string) => script.replace(/\$/g, "$$$$");
import { CELERY_QUEUE } from "../app";
import { endpoint, endpoints, isMultiServer, privateIp } from "../addresses";
import type { Plan, PlannedServer, PlannedService } from "../plan-types";
import { PGDATA_MOUNT_PATH } from "../plan";
import { SERVICES, type ServiceName } from "../services";
import { formatComposeMemory } from "../units";
import { API_STOP_TIMEOUT_S, DB_PASSWORD_FILE_IN_CONTAINER, WORKER_STOP_TIMEOUT_S } from "./release-script";
import {
  BACKEND_SUBNET,
  DB_NAME,
  EDGE_SUBNET,
  DB_USER,
  PROMETHEUS_RETENTION_DAYS,
  SENTINEL_MASTER,
} from "./service-configs";
import {
  BACKUP_METRICS_VOLUME,
  PGBACKREST_IMAGE_SERVICES,
  PGBACKREST_MOUNTS,
  PGBACKREST_PATHS,
  pgbackrestImageKeys,
  pgbackrestSecretEnvironment,
} from "./pgbackrest";
import { START_INTERVAL } from "./start-interval";

/** Compose project name; `docker compose -p orion` on every server. */
export const COMPOSE_PROJECT = "orion";

/** Image references resolved to digests by the program; absent entries stay as pinned tags. */
export type ImageDigests = Record<string, string>;

type ComposeService = Record<string, unknown>;

const wget = (url: string) => ["CMD", "wget", "-q", "-O", "/dev/null", url];
/**
 * Probes every `interval` once up; every `startInterval` while starting, so that `up --wait`
 * returns as soon as the service answers (start-interval.ts says which engines take it).
 */
const health = (test: string[], interval = "30s", startInterval = START_INTERVAL, timeout = "5s") => ({
  test,
  interval,
  timeout,
  retries: 5,
  start_period: "30s",
  start_interval: startInterval,
});

/** An image as compose pulls it: pinned to its digest where the program resolved one. */
export function imageRef(image: string, digests: ImageDigests): string {
  return digests[image] ? `${image}@${digests[image]}` : image;
}

/** Published ports per service on one server, as the compose file has them. */
export function publishedPorts(plan: Plan, server: PlannedServer): Record<string, string[]> {
  return Object.fromEntries(server.services.map((s) => [s.name, ports(plan, server, s.name)]));
}

function ports(plan: Plan, server: PlannedServer, name: ServiceName): string[] {
  const port = SERVICES[name].port;
  if (port === undefined) return [];
  const reachedBy = SERVICES[name].reachedBy ?? [];
  if (isMultiServer(plan) && reachedBy.includes("servers") && usedFromOtherServers(plan, server, name))
    return [`${privateIp(server)}:${port}:${port}`];
  if (reachedBy.includes("caddy")) return [`127.0.0.1:${port}:${port}`];
  return [];
}

function brokerUrl(plan: Plan, server: PlannedServer): string {
  const sentinels = endpoints(plan, "redis-sentinel");
  if (sentinels.length > 0) return sentinels.map((s) => `sentinel://${s.host}:${s.port}/0`).join(";");
  const redis = endpoint(plan, "redis", server)!;
  return `redis://${redis.host}:${redis.port}/0`;
}

/** Settings the app reads from its environment; secrets come in through `${...}` from the mode-600 .env file. */
function appEnvironment(plan: Plan, server: PlannedServer, service: PlannedService): Record<string, string> {
  const env: Record<string, string> = {
    DATABASE_URL: "${DATABASE_URL}",
    DATABASE_URL_DIRECT: "${DATABASE_URL_DIRECT}",
    CELERY_BROKER_URL: brokerUrl(plan, server),
    REDIS_URL: brokerUrl(plan, server),
  };
  if (endpoints(plan, "redis-sentinel").length > 0) env.CELERY_BROKER_MASTER_NAME = SENTINEL_MASTER;
  if (endpoints(plan, "db-replica").length > 0) env.DATABASE_URL_READONLY = "${DATABASE_URL_READONLY}";
  // The app's own settings and secrets: names here, values only in the env file.
  for (const name of plan.app.envNames) env[name] = `\${${name}}`;
  if (service.api) {
    env.DB_POOL_SIZE = String(service.api.dbPoolSize);
    env.DB_MAX_OVERFLOW = String(service.api.dbMaxOverflow);
  } else {
    env.DB_POOL_SIZE = "1";
    env.DB_MAX_OVERFLOW = "0";
  }
  return env;
}

/** The replica's primary_conninfo, without a password (see the db-replica service). */
function replicaConninfo(primary: { host: string; port: number }): string {
  return `primary_conninfo=host=${primary.host} port=${primary.port} user=${DB_USER}`;
}

function serviceBody(plan: Plan, server: PlannedServer, s: PlannedService): ComposeService {
  const primary = endpoints(plan, "db")[0];
  switch (s.name) {
    case "db":
      return {
        // Read only when the cluster is created; from a file, so that a new orion:dbPassword (applied with ALTER ROLE) does not restart the database.
        environment: {
          POSTGRES_DB: DB_NAME,
          POSTGRES_USER: DB_USER,
          POSTGRES_PASSWORD_FILE: DB_PASSWORD_FILE_IN_CONTAINER,
          PGDATA: "/var/lib/postgresql/data/pgdata",
          ...pgbackrestSecretEnvironment(),
        },
        // The mount check first (see pgdata-check.ts); then, for an empty data directory (a new stack or a lost volume),
        // the guard that makes a new database only if the bucket holds no backup of it; then the image's own entrypoint.
        command: [
          "bash",
          "-c",
          `${composeShell(pgdataMountCheck())}; if [ ! -s "$$PGDATA/PG_VERSION" ]; then gosu postgres bash ${PGBACKREST_PATHS.bin}/orion-guard || exit 1; fi; exec docker-entrypoint.sh postgres -c config_file=/etc/postgresql/postgresql.conf`,
        ],
        volumes: [
          `${PGDATA_MOUNT_PATH}:${PGDATA_IN_CONTAINER}`,
          "./config/postgres:/etc/postgresql:ro",
          ...PGBACKREST_MOUNTS,
        ],
        // Over TCP: on a new cluster the image's entrypoint first runs a temporary server on the socket alone (its
        // docker_temp_server_start: listen_addresses=''), which a socket check would find ready just before it shuts
        // down, and `up --wait` would then hand the deploy a database that is stopping.
        healthcheck: health(["CMD", "pg_isready", "-h", "127.0.0.1", "-U", DB_USER, "-d", DB_NAME]),
        stop_grace_period: "60s",
      };
    case "db-replica": {
      const slot = server.name.replace(/-/g, "_");
      // A new replica copies the primary with pg_basebackup (-R writes standby settings) and then streams.
      // A fast checkpoint starts the copy at once; a spread one would hold it for minutes. A copy that fails
      // drops the slot it created (pg_basebackup removes its partial copy itself): a slot nobody consumes holds
      // WAL on the primary, and the next attempt's -C would fail on it. The primary may not have noticed the
      // copy's end yet, so its WAL sender goes first (waiting up to 10 s for it to exit).
      const inSlot = `FROM pg_replication_slots WHERE slot_name = '${slot}'`;
      const cleanup = [
        `SELECT pg_terminate_backend(active_pid, 10000) ${inSlot} AND active_pid IS NOT NULL`,
        `SELECT pg_drop_replication_slot(slot_name) ${inSlot}`,
      ];
      const init =
        `${composeShell(pgdataMountCheck())}; ` +
        `if [ ! -s "$$PGDATA/PG_VERSION" ]; then ` +
        `gosu postgres pg_basebackup -h ${primary.host} -p ${primary.port} -U ${DB_USER} -D "$$PGDATA" -R -X stream -C -S ${slot} --checkpoint=fast || ` +
        `{ gosu postgres psql -h ${primary.host} -p ${primary.port} -U ${DB_USER} -d ${DB_NAME} -XAt ${cleanup.map((q) => `-c "${q}"`).join(" ")}; exit 1; }; fi; ` +
        // -R wrote the password of the copy into postgresql.auto.conf; this primary_conninfo (a command-line setting wins over
        // that file) has none, so the WAL receiver's libpq takes PGPASSWORD from the environment: a new orion:dbPassword
        // recreates this container with it, and the replica follows the rotation.
        `exec docker-entrypoint.sh postgres -c config_file=/etc/postgresql/postgresql.conf -c '${replicaConninfo(primary)}'`;
      return {
        environment: {
          PGPASSWORD: "${DB_PASSWORD}",
          PGDATA: "/var/lib/postgresql/data/pgdata",
          ...pgbackrestSecretEnvironment(),
        },
        command: ["bash", "-c", init],
        volumes: [
          `${PGDATA_MOUNT_PATH}:${PGDATA_IN_CONTAINER}`,
          "./config/postgres:/etc/postgresql:ro",
          ...PGBACKREST_MOUNTS,
        ],
        healthcheck: health(["CMD", "pg_isready", "-h", "127.0.0.1", "-U", DB_USER, "-d", DB_NAME]),
        stop_grace_period: "60s",
      };
    }
    case "pgbouncer":
      return {
        // The deploy fills userlist.txt in from the env file (see pgbouncerUserlist), so the password is in no file of
        // the repo and not in the container's environment; the image's entrypoint finds the user there and adds nothing.
        // The directory, not its two files: a file mount keeps the file the container started with, so a reload after a new
        // orion:dbPassword (release.sh) would read the old userlist; the directory shows the one the deploy moved into place.
        volumes: ["./config/pgbouncer:/etc/pgbouncer:ro"],
        healthcheck: health(["CMD", "sh", "-c", `nc -z 127.0.0.1 ${SERVICES.pgbouncer.port}`]),
      };
    case "redis":
    case "redis-replica": {
      // With Sentinel, a start script asks the Sentinels for the current master first (redis-ha.ts).
      const ha = endpoints(plan, "redis-sentinel").length > 0;
      return {
        command: ha
          ? redisStartCommand(REDIS_START_SCRIPT, redisHaLayout(plan, server, s.name), false)
          : ["redis-server", REDIS_TEMPLATE],
        volumes: [
          `./config/redis/redis.conf:${REDIS_TEMPLATE}:ro`,
          ...(ha ? [`./config/redis/redis-start.sh:${REDIS_START_SCRIPT}:ro`] : []),
          "redis-data:/data",
        ],
        healthcheck: health(["CMD", "redis-cli", "ping"], "10s"),
      };
    }
    case "redis-sentinel":
      return {
        // Its config lives on its volume, where Sentinel rewrites it and keeps it across restarts (redis-ha.ts).
        command: redisStartCommand(SENTINEL_START_SCRIPT, redisHaLayout(plan, server, "redis-sentinel"), true),
        volumes: [
          `./config/redis/sentinel.conf:${SENTINEL_TEMPLATE}:ro`,
          `./config/redis/sentinel-start.sh:${SENTINEL_START_SCRIPT}:ro`,
          "sentinel-data:/data",
        ],
        healthcheck: health(["CMD", "redis-cli", "-p", String(SERVICES["redis-sentinel"].port), "ping"], "10s"),
      };
    case "api":
      return {
        command: [
          "uvicorn",
          plan.app.apiModule,
          "--host",
          "0.0.0.0",
          "--port",
          String(SERVICES.api.port),
          "--workers",
          String(s.api!.uvicornWorkers),
          "--proxy-headers",
        ],
        environment: appEnvironment(plan, server, s),
        healthcheck: health([
          "CMD",
          "python",
          "-c",
          `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${SERVICES.api.port}${plan.app.healthPath}')`,
        ]),
        // Uvicorn finishes the requests it has on SIGTERM; a release drains the old container this long at most.
        stop_grace_period: `${API_STOP_TIMEOUT_S}s`,
      };
    case "celery-worker":
      return {
        command: [
          "celery",
          "-A",
          plan.app.celeryApp,
          "worker",
          "--loglevel",
          "info",
          "--concurrency",
          String(s.celery!.concurrency),
          "--max-memory-per-child",
          String(s.celery!.maxMemoryPerChildKb),
        ],
        environment: appEnvironment(plan, server, s),
        // The ping starts a Python interpreter and waits for the broker's reply: about a second of CPU, so not every second.
        // The probe starts Python and imports the app before it asks the worker, which answers within --timeout: seconds
        // on a busy 2-vCPU server (the test bed's deploys failed at 5 s under load), so the check gets 20 s.
        healthcheck: health(
          ["CMD-SHELL", `celery -A ${plan.app.celeryApp} inspect ping --timeout 5 -d celery@$$HOSTNAME`],
          "60s",
          "5s",
          "20s",
        ),
        // SIGTERM is Celery's warm shutdown: running tasks finish within this time (model/release.ts).
        stop_grace_period: `${WORKER_STOP_TIMEOUT_S}s`,
      };
    case "celery-beat":
      return {
        command: [
          "celery",
          "-A",
          plan.app.celeryApp,
          "beat",
          "--loglevel",
          "info",
          "--schedule",
          "/tmp/celerybeat-schedule",
        ],
        environment: appEnvironment(plan, server, s),
      };
    case "flower":
      return {
        environment: {
          CELERY_BROKER_URL: brokerUrl(plan, server),
          FLOWER_PORT: String(SERVICES.flower.port),
          FLOWER_BASIC_AUTH: "${FLOWER_BASIC_AUTH}",
          FLOWER_PURGE_OFFLINE_WORKERS: "300",
        },
        healthcheck: health(wget(`http://127.0.0.1:${SERVICES.flower.port}/healthcheck`)),
      };
    case "prometheus":
      return {
        command: [
          "--config.file=/etc/prometheus/prometheus.yml",
          "--storage.tsdb.path=/prometheus",
          `--storage.tsdb.retention.time=${PROMETHEUS_RETENTION_DAYS}d`,
          "--web.enable-lifecycle",
        ],
        volumes: ["./config/prometheus:/etc/prometheus:ro", "prometheus-data:/prometheus"],
        healthcheck: health(wget(`http://127.0.0.1:${SERVICES.prometheus.port}/-/healthy`)),
      };
    case "grafana":
      return {
        environment: {
          GF_SECURITY_ADMIN_PASSWORD: "${GRAFANA_ADMIN_PASSWORD}",
          GF_USERS_ALLOW_SIGN_UP: "false",
          GF_ANALYTICS_REPORTING_ENABLED: "false",
        },
        volumes: ["./config/grafana/provisioning:/etc/grafana/provisioning:ro", "grafana-data:/var/lib/grafana"],
        healthcheck: health(wget(`http://127.0.0.1:${SERVICES.grafana.port}/api/health`)),
      };
    case "alertmanager":
      return {
        command: ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"],
        volumes: ["./config/alertmanager:/etc/alertmanager:ro", "alertmanager-data:/alertmanager"],
        healthcheck: health(wget(`http://127.0.0.1:${SERVICES.alertmanager.port}/-/healthy`)),
      };
    case "node-exporter": {
      // Beside PostgreSQL it also reads the backup scheduler's findings (the textfile collector).
      const backups = server.services.some((x) => x.name === "pgbackrest");
      return {
        command: ["--path.rootfs=/host", ...(backups ? ["--collector.textfile.directory=/textfile"] : [])],
        pid: "host",
        volumes: ["/:/host:ro,rslave", ...(backups ? [`${BACKUP_METRICS_VOLUME}:/textfile:ro`] : [])],
        healthcheck: health(wget(`http://127.0.0.1:${SERVICES["node-exporter"].port}/metrics`)),
      };
    }
    case "pgbackrest":
      return {
        environment: {
          PGHOST: PGBACKREST_PATHS.socketDir,
          PGUSER: DB_USER,
          PGDATABASE: DB_NAME,
          ...pgbackrestSecretEnvironment(),
        },
        command: ["bash", `${PGBACKREST_PATHS.bin}/orion-backup`],
        volumes: [
          `${PGDATA_MOUNT_PATH}:/var/lib/postgresql/data`,
          ...PGBACKREST_MOUNTS,
          `${BACKUP_METRICS_VOLUME}:${PGBACKREST_PATHS.metricsDir}`,
        ],
        // A backup cut short resumes on the next pass; a minute lets a small one finish.
        stop_grace_period: "60s",
      };
    case "cadvisor":
      return {
        privileged: true,
        devices: ["/dev/kmsg"],
        volumes: [
          "/:/rootfs:ro",
          "/var/run:/var/run:ro",
          "/sys:/sys:ro",
          "/var/lib/docker/:/var/lib/docker:ro",
          "/dev/disk/:/dev/disk:ro",
        ],
        healthcheck: health(wget(`http://127.0.0.1:${SERVICES.cadvisor.port}/healthz`)),
      };
    case "postgres-exporter":
      return {
        environment: { DATA_SOURCE_NAME: "${POSTGRES_EXPORTER_DSN}" },
        // Its landing page, not /metrics: a scrape looks up `db` on the internal backend network, and while the
        // db container is down, Docker Engines before 26 forward that lookup outward where it times out
        // (moby/moby#43430), so the exporter would turn unhealthy with PostgreSQL. pg_up says whether the database answers.
        healthcheck: health(wget(`http://127.0.0.1:${SERVICES["postgres-exporter"].port}/`)),
      };
    case "redis-exporter": {
      const redis = endpoint(
        plan,
        server.services.some((x) => x.name === "redis-replica") ? "redis-replica" : "redis",
        server,
      )!;
      // The image has no shell or wget, so compose only checks that it runs.
      return {
        environment: {
          REDIS_ADDR: `redis://${redis.host}:${redis.port}`,
          REDIS_EXPORTER_CHECK_SINGLE_KEYS: `db0=${CELERY_QUEUE}`,
        },
      };
    }
  }
}

/** The key order dclint checks (service-keys-order); keys it does not list follow in alphabetical order. */
const KEY_ORDER = [
  "image",
  "build",
  "depends_on",
  "volumes",
  "environment",
  "ports",
  "networks",
  "network_mode",
  "command",
  "restart",
  "healthcheck",
  "logging",
  "labels",
];

function ordered(service: ComposeService): ComposeService {
  const rank = (key: string) => (KEY_ORDER.includes(key) ? KEY_ORDER.indexOf(key) : KEY_ORDER.length);
  return Object.fromEntries(Object.entries(service).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)));
}

function composeService(
  plan: Plan,
  server: PlannedServer,
  s: PlannedService,
  digests: ImageDigests,
  files: Record<string, string>,
): ComposeService {
  const published = ports(plan, server, s.name);
  // Publishing needs a network that is not internal; otherwise only egress or a service on another server justifies `edge`.
  const networks = [
    "backend",
    ...(published.length > 0 || SERVICES[s.name].egress || reachesOtherServers(plan, server, s.name) ? ["edge"] : []),
  ];
  const body = serviceBody(plan, server, s);
  const hash = configHash((body.volumes as string[] | undefined) ?? [], files);
  // Files the server fills in from secrets (Alertmanager's webhook URL) change with the env file, which carries their hash.
  const secrets = s.name === "alertmanager" ? { [FILLED_IN_HASH_LABEL]: `\${${FILLED_IN_HASH_ENV}:-none}` } : {};
  const labels = { ...(hash ? { [CONFIG_HASH_LABEL]: hash } : {}), ...secrets };
  const pinned = imageRef(s.image, digests);
  return ordered({
    ...((PGBACKREST_IMAGE_SERVICES as readonly string[]).includes(s.name)
      ? pgbackrestImageKeys(pinned)
      : { image: pinned }),
    ...(SERVICES[s.name].profile ? { profiles: [SERVICES[s.name].profile] } : {}),
    restart: "unless-stopped",
    mem_limit: formatComposeMemory(s.memoryLimitMb),
    ...(s.replicas > 1 ? { deploy: { replicas: s.replicas } } : {}),
    ...body,
    ...(published.length > 0 ? { ports: published } : {}),
    networks,
    logging: { driver: "json-file", options: { "max-size": "10m", "max-file": "3" } },
    ...(Object.keys(labels).length > 0 ? { labels } : {}),
  });
}

/** Label and env file variable that carry the hash of the secrets Alertmanager reads from files. */
export const FILLED_IN_HASH_LABEL = "orion.filled-in-hash";
export const FILLED_IN_HASH_ENV = "ALERTMANAGER_FILLED_IN_HASH";

/**
 * The compose file for one server: exactly the plan's services, with its
 * memory limits. `files` are the config files it mounts (renderServerFiles),
 * hashed into each service's labels.
 */
export function renderCompose(
  plan: Plan,
  server: PlannedServer,
  digests: ImageDigests = {},
  files: Record<string, string> = {},
): string {
  const sorted = [...server.services].sort((a, b) => a.name.localeCompare(b.name));
  const entries: [string, ComposeService][] = sorted.map((s) => [
    s.name,
    composeService(plan, server, s, digests, files),
  ]);
  if (server.caddy)
    entries.push(["caddy", ordered(caddyComposeService(server, imageRef(server.caddy.image, digests)))]);
  const services = Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
  const namedVolumes = [
    ...new Set(
      Object.values(services).flatMap((s) =>
        ((s.volumes as string[] | undefined) ?? []).map((v) => v.split(":")[0]).filter((v) => /^[a-z][a-z-]*$/.test(v)),
      ),
    ),
  ];
  return toYaml({
    services,
    networks: {
      // Internal: nothing on it reaches or is reached from outside the host, whatever a service publishes.
      backend: { internal: true, ipam: { config: [{ subnet: BACKEND_SUBNET }] } },
      edge: { ipam: { config: [{ subnet: EDGE_SUBNET }] } },
    },
    ...(namedVolumes.length > 0 ? { volumes: Object.fromEntries(namedVolumes.sort().map((v) => [v, {}])) } : {}),
  });
}
