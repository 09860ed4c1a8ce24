/**
 * How the test bed builds a local image for each image our compose files
 * name: Debian packages on a `debootstrap --variant=minbase` root, plus the
 * part of the official image's contract that the compose files rely on
 * (entrypoint, command, user, working directory, environment, data
 * directories, the commands the health checks call). Where Debian packages
 * nothing for the service, the image is a stand-in that answers the same
 * health check on the same port, and says so (`standIn`).
 */

/** Image config as `docker load` reads it (the OCI/Docker image config's `config` object). */
export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  User?: string;
  WorkingDir?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Volumes?: Record<string, Record<string, never>>;
  StopSignal?: string;
}

export interface ImageRecipe {
  /** Debian packages installed with apt-get (no recommends). */
  packages: string[];
  /** Shell run in the image root before the packages are installed (users with the official image's IDs). */
  before?: string;
  /** Shell run in the image root after the packages and files are in place. */
  after?: string;
  /** Files from images/files copied into the image: image path -> source path (mode kept). */
  files?: Record<string, string>;
  config: ImageConfig;
  /** Set when the image only imitates the real one; says what it does instead. */
  standIn?: string;
  /** How the Debian build differs from the official image, beyond the version. */
  differs?: string;
}

const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const ports = (...list: string[]) => Object.fromEntries(list.map((p) => [p, {}]));
const volumes = ports;
/** Images built on BusyBox upstream (Prometheus' own, Alpine ones) have BusyBox's wget; health checks call it. */
const BUSYBOX_WGET = "ln -s /bin/busybox /usr/local/bin/wget";

const standInHttpd = (forImage: string, port: number, root: string, portEnv?: string): string[] => [
  PATH,
  `STANDIN_FOR=${forImage}`,
  `STANDIN_PORT=${port}`,
  `STANDIN_ROOT=${root}`,
  ...(portEnv ? [`STANDIN_PORT_ENV=${portEnv}`] : []),
];

/** By image repository (the reference without its tag), as the compose files name it. */
export const RECIPES: Record<string, ImageRecipe> = {
  postgres: {
    before: [
      // The official image's postgres user and group are 999:999; files on the pgdata volume keep them.
      "groupadd -r postgres --gid=999",
      "useradd -r -g postgres --uid=999 --home-dir=/var/lib/postgresql --shell=/bin/bash postgres",
      "mkdir -p /var/lib/postgresql /etc/postgresql-common",
      "chown postgres:postgres /var/lib/postgresql",
      // As the official image: no cluster is created at install; the entrypoint runs initdb.
      "printf 'create_main_cluster = false\\n' > /etc/postgresql-common/createcluster.conf",
    ].join("\n"),
    packages: ["postgresql-15", "gosu"],
    files: { "/usr/local/bin/docker-entrypoint.sh": "postgres/docker-entrypoint.sh" },
    after: [
      // LLVM for JIT is 130 MB every engine would load; without its provider PostgreSQL runs with JIT off.
      "rm -rf /usr/lib/postgresql/15/lib/llvmjit* /usr/lib/postgresql/15/lib/bitcode /usr/lib/x86_64-linux-gnu/libLLVM-14.so* /usr/lib/aarch64-linux-gnu/libLLVM-14.so* /usr/lib/*/libz3.so*",
      "mkdir -p /docker-entrypoint-initdb.d /var/run/postgresql /var/lib/postgresql/data",
      "chown postgres:postgres /var/run/postgresql /var/lib/postgresql/data",
      "chmod 3777 /var/run/postgresql",
      "chmod 1777 /var/lib/postgresql/data",
    ].join("\n"),
    config: {
      Entrypoint: ["docker-entrypoint.sh"],
      Cmd: ["postgres"],
      Env: [
        "PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "PG_MAJOR=15",
        "PGDATA=/var/lib/postgresql/data",
        "LANG=C.UTF-8",
      ],
      ExposedPorts: ports("5432/tcp"),
      Volumes: volumes("/var/lib/postgresql/data"),
      StopSignal: "SIGINT",
    },
    differs:
      "LANG is C.UTF-8 (the official image builds en_US.utf8); no LLVM, so JIT is off; the entrypoint is the bed's own implementation of the documented contract",
  },
  redis: {
    before: ["groupadd -r -g 999 redis", "useradd -r -g redis -u 999 redis"].join("\n"),
    packages: ["redis-server", "gosu"],
    files: { "/usr/local/bin/docker-entrypoint.sh": "redis/docker-entrypoint.sh" },
    after: ["mkdir -p /data", "chown redis:redis /data"].join("\n"),
    config: {
      Entrypoint: ["docker-entrypoint.sh"],
      Cmd: ["redis-server"],
      Env: [PATH],
      WorkingDir: "/data",
      ExposedPorts: ports("6379/tcp"),
      Volumes: volumes("/data"),
    },
    differs: "Debian's Redis 7.0 (the pinned image is 7.2)",
  },
  "edoburu/pgbouncer": {
    // The upstream image (Alpine) runs as postgres, uid 70, and has BusyBox's nc for the health check.
    before: [
      "groupadd -r -g 70 postgres",
      "useradd -r -u 70 -g postgres -d /var/lib/postgresql -s /bin/sh postgres",
    ].join("\n"),
    packages: ["pgbouncer", "netcat-openbsd"],
    files: { "/entrypoint.sh": "pgbouncer/entrypoint.sh" },
    after: [
      // Upstream ships no pgbouncer.ini or userlist.txt: the entrypoint writes them.
      "rm -f /etc/pgbouncer/pgbouncer.ini /etc/pgbouncer/userlist.txt",
      "mkdir -p /etc/pgbouncer /var/run/pgbouncer /var/log/pgbouncer",
      "chown -R postgres /etc/pgbouncer /var/run/pgbouncer /var/log/pgbouncer",
      "ln -s /usr/sbin/pgbouncer /usr/bin/pgbouncer",
    ].join("\n"),
    config: {
      Entrypoint: ["/entrypoint.sh"],
      Cmd: ["/usr/bin/pgbouncer", "/etc/pgbouncer/pgbouncer.ini"],
      Env: [PATH],
      User: "postgres",
      ExposedPorts: ports("5432/tcp"),
    },
    differs: "Debian's PgBouncer 1.18 (the pinned image is 1.23); netcat-openbsd's nc instead of BusyBox's",
  },
  "prom/prometheus": {
    packages: ["prometheus", "busybox"],
    after: [
      BUSYBOX_WGET,
      // The classic web UI's JavaScript libraries (200 MB, mostly time zone data): the bed reads the API, never the UI.
      "rm -rf /usr/share/javascript",
      "mkdir -p /prometheus /etc/prometheus",
      "chown nobody:nogroup /prometheus /etc/prometheus",
    ].join("\n"),
    config: {
      Entrypoint: ["/bin/prometheus"],
      Cmd: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"],
      Env: [PATH],
      User: "nobody",
      WorkingDir: "/prometheus",
      ExposedPorts: ports("9090/tcp"),
      Volumes: volumes("/prometheus"),
    },
    differs: "Debian's Prometheus 2.42 (the pinned image is 2.55); without the web UI's JavaScript",
  },
  "prom/alertmanager": {
    packages: ["prometheus-alertmanager", "busybox"],
    after: [
      BUSYBOX_WGET,
      "ln -s prometheus-alertmanager /usr/bin/alertmanager",
      "mkdir -p /alertmanager /etc/alertmanager",
      "chown nobody:nogroup /alertmanager /etc/alertmanager",
    ].join("\n"),
    config: {
      Entrypoint: ["/bin/alertmanager"],
      Cmd: ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"],
      Env: [PATH],
      User: "nobody",
      WorkingDir: "/alertmanager",
      ExposedPorts: ports("9093/tcp"),
      Volumes: volumes("/alertmanager"),
    },
    differs: "Debian's Alertmanager 0.25 (the pinned image is 0.27)",
  },
  "prom/node-exporter": {
    packages: ["prometheus-node-exporter", "busybox"],
    after: [BUSYBOX_WGET, "ln -s prometheus-node-exporter /usr/bin/node_exporter"].join("\n"),
    config: { Entrypoint: ["/bin/node_exporter"], Env: [PATH], User: "nobody", ExposedPorts: ports("9100/tcp") },
    differs: "Debian's node_exporter 1.5 (the pinned image is 1.8)",
  },
  "prometheuscommunity/postgres-exporter": {
    packages: ["prometheus-postgres-exporter", "busybox"],
    after: [BUSYBOX_WGET, "ln -s prometheus-postgres-exporter /usr/bin/postgres_exporter"].join("\n"),
    config: { Entrypoint: ["/bin/postgres_exporter"], Env: [PATH], User: "nobody", ExposedPorts: ports("9187/tcp") },
    differs: "Debian's postgres_exporter 0.11 (the pinned image is 0.16)",
  },
  "oliver006/redis_exporter": {
    packages: ["prometheus-redis-exporter"],
    after: "ln -s /usr/bin/prometheus-redis-exporter /redis_exporter",
    // Upstream is built FROM scratch: no shell, no wget, which is why the compose file has no health check for it.
    config: { Entrypoint: ["/redis_exporter"], Env: [PATH], User: "59000:59000", ExposedPorts: ports("9121/tcp") },
    differs:
      "Debian's redis_exporter 1.45 (the pinned image is 1.67); it has the Debian base's shell, which the scratch-based upstream lacks",
  },
  caddy: {
    packages: ["caddy", "busybox", "ca-certificates"],
    after: [BUSYBOX_WGET, "mkdir -p /config/caddy /data/caddy /etc/caddy /usr/share/caddy /srv"].join("\n"),
    config: {
      Cmd: ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"],
      Env: [PATH, "XDG_CONFIG_HOME=/config", "XDG_DATA_HOME=/data"],
      WorkingDir: "/srv",
      ExposedPorts: ports("80/tcp", "443/tcp", "443/udp", "2019/tcp"),
      Volumes: volumes("/config", "/data"),
    },
    differs: "Debian's Caddy 2.6 (the pinned image is newer)",
  },
  "grafana/grafana": {
    standIn:
      "BusyBox httpd answers GET /api/health on port 3000 with Grafana's health JSON; no dashboards, no data sources, no login",
    packages: ["busybox"],
    files: { "/run.sh": "stand-in/httpd.sh" },
    after: [
      BUSYBOX_WGET,
      "mkdir -p /usr/share/grafana-standin/api /var/lib/grafana /etc/grafana/provisioning",
      `printf '{"commit":"stand-in","database":"ok","version":"stand-in"}' > /usr/share/grafana-standin/api/health`,
      "chown 472:0 /var/lib/grafana",
    ].join("\n"),
    config: {
      Entrypoint: ["/run.sh"],
      Env: standInHttpd("grafana/grafana", 3000, "/usr/share/grafana-standin"),
      User: "472",
      WorkingDir: "/usr/share/grafana-standin",
      ExposedPorts: ports("3000/tcp"),
      Volumes: volumes("/var/lib/grafana"),
    },
  },
  "ghcr.io/google/cadvisor": {
    standIn:
      "BusyBox httpd answers GET /healthz and serves a fixed /metrics page on port 8080; it reads no container statistics",
    packages: ["busybox"],
    files: { "/usr/bin/cadvisor": "stand-in/httpd.sh" },
    after: [
      BUSYBOX_WGET,
      "mkdir -p /usr/share/cadvisor-standin",
      "printf 'ok' > /usr/share/cadvisor-standin/healthz",
      "printf '# stand-in for cAdvisor: no container statistics\\ncadvisor_version_info{cadvisorVersion=\"stand-in\"} 1\\n' > /usr/share/cadvisor-standin/metrics",
    ].join("\n"),
    config: {
      Entrypoint: ["/usr/bin/cadvisor", "-logtostderr"],
      Env: standInHttpd("ghcr.io/google/cadvisor", 8080, "/usr/share/cadvisor-standin"),
      ExposedPorts: ports("8080/tcp"),
    },
  },
  "mher/flower": {
    standIn: "BusyBox httpd answers GET /healthcheck on FLOWER_PORT (default 5555); it does not connect to the broker",
    packages: ["busybox"],
    files: { "/usr/local/bin/flower-standin": "stand-in/httpd.sh" },
    after: [
      BUSYBOX_WGET,
      "mkdir -p /usr/share/flower-standin",
      "printf 'OK' > /usr/share/flower-standin/healthcheck",
      "useradd -r -u 1000 flower",
    ].join("\n"),
    config: {
      Cmd: ["/usr/local/bin/flower-standin"],
      Env: standInHttpd("mher/flower", 5555, "/usr/share/flower-standin", "FLOWER_PORT"),
      User: "flower",
      ExposedPorts: ports("5555/tcp"),
    },
  },
};

/**
 * The database image with pgBackRest (model/render/pgbackrest.ts): on a
 * server compose builds it from the postgres image and Debian's pgbackrest
 * and jq; the bed builds the same from its postgres recipe and loads it under
 * the name compose looks for, so compose finds it and builds nothing.
 */
RECIPES["orion-postgres"] = {
  ...RECIPES.postgres,
  packages: [...RECIPES.postgres.packages, "pgbackrest", "jq"],
  differs: `${RECIPES.postgres.differs}; built by the bed from its postgres recipe, not by compose from the rendered Dockerfile`,
};

/**
 * The Orion application image (`orion:appImage`): a stand-in app written for
 * the bed, with the contract the compose files assume of the real one.
 */
export const APP_RECIPE: ImageRecipe = {
  standIn:
    "a FastAPI/Uvicorn/Celery app written for the test bed (test/hosts/images/files/orion-app): /health, /metrics with http_request_duration_seconds, POST /rows writes a row, POST /tasks queues a Celery task that writes a row",
  // `uvicorn` and `celery` are the packages with the commands; python3-* hold the libraries.
  packages: [
    "python3",
    "python-is-python3",
    "python3-fastapi",
    "uvicorn",
    "celery",
    "python3-psycopg2",
    "python3-prometheus-client",
    "python3-redis",
  ],
  before: "useradd -u 1000 -m -s /bin/sh orion",
  files: {
    "/app/main.py": "orion-app/main.py",
    "/app/app/__init__.py": "orion-app/app/__init__.py",
    "/app/app/celery_app.py": "orion-app/app/celery_app.py",
    "/app/app/db.py": "orion-app/app/db.py",
    "/app/app/tasks.py": "orion-app/app/tasks.py",
  },
  config: {
    Cmd: ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"],
    Env: [PATH, "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1"],
    User: "orion",
    WorkingDir: "/app",
    ExposedPorts: ports("8000/tcp"),
  },
};

/** `postgres:15.13-bookworm` -> `postgres`; `gcr.io/cadvisor/cadvisor:v0.49.1` -> `gcr.io/cadvisor/cadvisor`. */
export function repositoryOf(image: string): string {
  const withoutDigest = image.split("@")[0];
  const lastColon = withoutDigest.lastIndexOf(":");
  return lastColon > withoutDigest.lastIndexOf("/") ? withoutDigest.slice(0, lastColon) : withoutDigest;
}
