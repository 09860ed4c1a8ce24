/**
 * Every container Orion runs, whichever server it lands on. Stages decide
 * where each runs and with which memory limit; this file says what it is.
 */
export const SERVICE_NAMES = [
  "db",
  "db-replica",
  "pgbouncer",
  "redis",
  "redis-replica",
  "redis-sentinel",
  "api",
  "celery-worker",
  "celery-beat",
  "flower",
  "prometheus",
  "grafana",
  "node-exporter",
  "cadvisor",
  "alertmanager",
  "postgres-exporter",
  "redis-exporter",
  "pgbackrest",
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * The guide's budget table has two groups, "App" and "Monitoring". Exporters
 * are a third: the guide's queries need them (pg_stat_activity_count,
 * redis_memory_used_bytes, the Celery queue length) but its table leaves them out.
 * Backups are a fourth: the guide asks for "clean backups" without a budget line.
 */
export type ServiceGroup = "app" | "monitoring" | "exporters" | "backups";

export interface ServiceInfo {
  name: ServiceName;
  group: ServiceGroup;
  purpose: string;
  /** A pinned image; `app` means the Orion application image from `orion:appImage`. */
  image: string;
  /** Port inside the backend network, where the service listens. */
  port?: number;
  /** Holds data that must survive a redeploy (a named volume or the pgdata volume). */
  stateful: boolean;
  /** Started only with `docker compose --profile full`, as in the guide's commands. */
  profile?: "full";
  /**
   * Who must reach the service from outside its compose project. `caddy`: the
   * host's Caddy, so it is published on loopback. `servers`: other servers,
   * so in multi-server stages it is published on the private IP. Never on a
   * public interface: Docker would open it past the firewall.
   */
  reachedBy?: ("caddy" | "servers")[];
  /** Talks to the internet or to other servers on its own (store APIs, mail, a primary to stream from). */
  egress?: boolean;
}

// Images are pinned to a version so that a redeploy never pulls something new
// by surprise; the program resolves each tag to a digest so previews show changes.
const POSTGRES_IMAGE = "postgres:15.13-bookworm";
// Redis 7.2 is the last line under the BSD licence; the broker needs nothing newer.
const REDIS_IMAGE = "redis:7.2.7-bookworm";

export const SERVICES: Record<ServiceName, ServiceInfo> = {
  db: {
    name: "db",
    group: "app",
    purpose: "PostgreSQL 15",
    image: POSTGRES_IMAGE,
    port: 5432,
    stateful: true,
    reachedBy: ["servers"],
    egress: true,
  },
  "db-replica": {
    name: "db-replica",
    group: "app",
    purpose: "PostgreSQL 15 streaming read replica",
    image: POSTGRES_IMAGE,
    port: 5432,
    stateful: true,
    reachedBy: ["servers"],
    egress: true,
  },
  pgbouncer: {
    name: "pgbouncer",
    group: "app",
    purpose: "PostgreSQL connection pooling",
    image: "edoburu/pgbouncer:v1.23.1-p2",
    port: 6432,
    stateful: false,
    reachedBy: ["servers"],
  },
  redis: {
    name: "redis",
    group: "app",
    purpose: "Task broker + cache",
    image: REDIS_IMAGE,
    port: 6379,
    stateful: true,
    reachedBy: ["servers"],
  },
  "redis-replica": {
    name: "redis-replica",
    group: "app",
    purpose: "Redis replica, promoted by Sentinel",
    image: REDIS_IMAGE,
    port: 6379,
    stateful: true,
    reachedBy: ["servers"],
    egress: true,
  },
  "redis-sentinel": {
    name: "redis-sentinel",
    group: "app",
    purpose: "Redis failover (quorum of 3)",
    image: REDIS_IMAGE,
    port: 26379,
    stateful: false,
    reachedBy: ["servers"],
    egress: true,
  },
  api: {
    name: "api",
    group: "app",
    purpose: "FastAPI (Uvicorn)",
    image: "app",
    port: 8000,
    stateful: false,
    reachedBy: ["caddy", "servers"],
    egress: true,
  },
  "celery-worker": {
    name: "celery-worker",
    group: "app",
    purpose: "Background tasks",
    image: "app",
    stateful: false,
    profile: "full",
    egress: true,
  },
  "celery-beat": {
    name: "celery-beat",
    group: "app",
    purpose: "Task scheduler",
    image: "app",
    stateful: false,
    profile: "full",
  },
  flower: {
    name: "flower",
    group: "app",
    purpose: "Celery monitoring",
    image: "mher/flower:2.0.1",
    port: 5555,
    stateful: false,
    profile: "full",
    reachedBy: ["caddy"],
  },
  prometheus: {
    name: "prometheus",
    group: "monitoring",
    purpose: "Metrics (15-day retention)",
    image: "prom/prometheus:v2.55.1",
    port: 9090,
    stateful: true,
    profile: "full",
    reachedBy: ["caddy"],
  },
  grafana: {
    name: "grafana",
    group: "monitoring",
    purpose: "Dashboards",
    image: "grafana/grafana:11.4.0",
    port: 3000,
    stateful: true,
    profile: "full",
    reachedBy: ["caddy"],
  },
  "node-exporter": {
    name: "node-exporter",
    group: "monitoring",
    purpose: "Host metrics",
    image: "prom/node-exporter:v1.8.2",
    port: 9100,
    stateful: false,
    profile: "full",
    reachedBy: ["servers"],
  },
  cadvisor: {
    name: "cadvisor",
    group: "monitoring",
    purpose: "Container metrics",
    image: "ghcr.io/google/cadvisor:v0.55.1",
    port: 8080,
    stateful: false,
    profile: "full",
    reachedBy: ["servers"],
  },
  alertmanager: {
    name: "alertmanager",
    group: "monitoring",
    purpose: "Alert routing",
    image: "prom/alertmanager:v0.27.0",
    port: 9093,
    stateful: true,
    profile: "full",
    egress: true,
  },
  "postgres-exporter": {
    name: "postgres-exporter",
    group: "exporters",
    purpose: "pg_stat_activity_count for the connection alert",
    image: "prometheuscommunity/postgres-exporter:v0.16.0",
    port: 9187,
    stateful: false,
    profile: "full",
    reachedBy: ["servers"],
  },
  // redis_exporter also reads the length of the Celery queue (a Redis list), so
  // no separate Celery exporter is needed for the guide's queue threshold.
  "redis-exporter": {
    name: "redis-exporter",
    group: "exporters",
    purpose: "redis_memory_used_bytes and the Celery queue length",
    image: "oliver006/redis_exporter:v1.67.0",
    port: 9121,
    stateful: false,
    profile: "full",
    reachedBy: ["servers"],
  },
  // Runs in the db image (PostgreSQL plus pgBackRest, see model/render/pgbackrest.ts); the image is its base.
  pgbackrest: {
    name: "pgbackrest",
    group: "backups",
    purpose: "Base backups to Object Storage (pgBackRest)",
    image: POSTGRES_IMAGE,
    stateful: false,
    egress: true,
  },
};

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}
