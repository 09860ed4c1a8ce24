import type { StageName } from "../model/stages";
import type { MockRun } from "./mock-run";
import { OFFLINE_SECRETS } from "./orion";
import { addToService, editService, tamper, tamperFile, tamperRecord } from "./policy-run";

/**
 * A program edited the way a mistake or a bypass would edit it: one change
 * to a file a deploy writes (the declared budget left as it was), to a
 * resource, or to the stack's config. Tests send each through the real pack
 * process; docs/policies.md shows what the pack answers.
 */
export interface PolicyCase {
  /** The policy that must block (or warn about) it. */
  policy: string;
  title: string;
  stage: StageName;
  /** Stack config beside `orion:stage`, as `pulumi config set` would give it. */
  config?: Record<string, unknown>;
  /** The stack's secrets as the CLI hands them to the pack (decrypted, in PULUMI_CONFIG): the offline run's values. */
  stackSecrets?: boolean;
  tamper?: (run: MockRun) => MockRun;
  /** The file and line the message must point at: the first line of the tampered file holding `needle` (after the line holding `after`). */
  at?: { server: string; file: string; needle: string; after?: string };
}

const COMPOSE = "compose.yaml";
const REDIS_CONF = "config/redis/redis.conf";
const PG_CONF = "config/postgres/postgresql.conf";
const PG_HBA = "config/postgres/pg_hba.conf";
const PGBOUNCER_INI = "config/pgbouncer/pgbouncer.ini";
const RELEASE_SH = "release.sh";
/** One of orion:appSecrets as the offline run holds it. */
const appSecret = (name: string) => (JSON.parse(OFFLINE_SECRETS["orion:appSecrets"]) as Record<string, string>)[name];

export const POLICY_CASES: PolicyCase[] = [
  {
    policy: "deploy-enforce-readable-files",
    title: "a memory limit filled in from the environment",
    stage: "launch",
    tamper: (run) => tamperFile(run, "app", COMPOSE, editService("celery-worker", "mem_limit", "${CELERY_MEMORY:-3g}")),
    at: { server: "app", file: COMPOSE, needle: "${CELERY_MEMORY" },
  },
  {
    policy: "server-enforce-memory-budget",
    title: "celery-worker's mem_limit doubled in the compose file only",
    stage: "launch",
    tamper: (run) => tamperFile(run, "app", COMPOSE, editService("celery-worker", "mem_limit", "1g")),
    at: { server: "app", file: COMPOSE, needle: "mem_limit: 1g" },
  },
  {
    policy: "server-enforce-memory-budget",
    title: "celery-worker's replicas raised in the compose file only",
    stage: "launch",
    tamper: (run) => tamperFile(run, "app", COMPOSE, addToService("celery-worker", "    deploy: { replicas: 3 }")),
    at: { server: "app", file: COMPOSE, needle: "mem_limit: 512m", after: "  celery-worker:" },
  },
  {
    policy: "service-disallow-oversized-limit",
    title: "PostgreSQL at 5 GB on the scale db server's 8 GB",
    stage: "scale",
    tamper: (run) => tamperFile(run, "db", COMPOSE, editService("db", "mem_limit", "5g")),
    at: { server: "db", file: COMPOSE, needle: "mem_limit: 5g" },
  },
  {
    policy: "postgres-enforce-memory-settings",
    title: "work_mem raised in postgresql.conf",
    stage: "growth",
    tamper: (run) => tamperFile(run, "app", PG_CONF, (c) => c.replace(/^work_mem = .*$/m, "work_mem = 64MB")),
    at: { server: "app", file: COMPOSE, needle: "mem_limit: 1g", after: "  db:" },
  },
  {
    policy: "celery-enforce-child-memory",
    title: "a Celery child limit that leaves no room",
    stage: "growth",
    tamper: (run) =>
      tamperFile(run, "app", COMPOSE, (c) => c.replace(/(--max-memory-per-child\n\s+- )"\d+"/, '$1"400000"')),
    at: { server: "app", file: COMPOSE, needle: "command:", after: "  celery-worker:" },
  },
  {
    policy: "redis-configure-maxmemory",
    title: "the guide's allkeys-lru in redis.conf",
    stage: "growth",
    tamper: (run) =>
      tamperFile(run, "app", REDIS_CONF, (c) =>
        c.replace("maxmemory-policy volatile-lru", "maxmemory-policy allkeys-lru"),
      ),
    at: { server: "app", file: REDIS_CONF, needle: "allkeys-lru" },
  },
  {
    policy: "redis-configure-maxmemory",
    title: "maxmemory at the container limit",
    stage: "growth",
    tamper: (run) => tamperFile(run, "app", REDIS_CONF, (c) => c.replace("maxmemory 100mb", "maxmemory 128mb")),
    at: { server: "app", file: REDIS_CONF, needle: "maxmemory 128mb" },
  },
  {
    policy: "pgbouncer-enforce-connection-limits",
    title: "the guide's 10 + 20 pool per Uvicorn process behind PgBouncer",
    stage: "growth",
    tamper: (run) =>
      tamperFile(run, "app", COMPOSE, (c) =>
        editService("api", "DB_MAX_OVERFLOW", '"20"')(editService("api", "DB_POOL_SIZE", '"10"')(c)),
      ),
    at: { server: "app", file: PGBOUNCER_INI, needle: "max_client_conn" },
  },
  {
    policy: "api-enforce-uvicorn-workers",
    title: "10 Uvicorn workers on a 4-vCPU CAX21",
    stage: "growth",
    tamper: (run) => tamperFile(run, "app", COMPOSE, (c) => c.replace(/--workers, "4"/, '--workers, "10"')),
    at: { server: "app", file: COMPOSE, needle: '--workers, "10"' },
  },
  {
    policy: "service-disallow-public-port",
    title: "PostgreSQL published on 0.0.0.0",
    stage: "scale",
    tamper: (run) => tamperFile(run, "db", COMPOSE, (c) => c.replace("'10.0.1.20:5432:5432'", "'0.0.0.0:5432:5432'")),
    at: { server: "db", file: COMPOSE, needle: "0.0.0.0:5432:5432" },
  },
  {
    policy: "postgres-disallow-open-hba",
    title: "pg_hba.conf trusting every address",
    stage: "scale",
    tamper: (run) =>
      tamperFile(run, "db", PG_HBA, (c) => `${c}host    all          all       0.0.0.0/0        trust\n`),
    at: { server: "db", file: PG_HBA, needle: "0.0.0.0/0" },
  },
  {
    policy: "service-enforce-image-digest",
    title: "Redis on a bare tag",
    stage: "growth",
    tamper: (run) => tamperFile(run, "app", COMPOSE, editService("redis", "image", "redis:7")),
    at: { server: "app", file: COMPOSE, needle: "image: redis:7", after: "  redis:" },
  },
  {
    policy: "service-enforce-image-digest",
    title: "the database image built on the server from a bare tag",
    stage: "launch",
    tamper: (run) => tamperFile(run, "app", "build/postgres/Dockerfile", (c) => c.replace(/@sha256:[0-9a-f]{64}/, "")),
    at: { server: "app", file: "build/postgres/Dockerfile", needle: "FROM postgres:" },
  },
  {
    policy: "deploy-enforce-env-variables",
    title: "a variable the env file does not define",
    stage: "growth",
    tamper: (run) =>
      tamperFile(run, "app", COMPOSE, (c) =>
        c.replace(
          "GF_SECURITY_ADMIN_PASSWORD: ${GRAFANA_ADMIN_PASSWORD}",
          "GF_SECURITY_ADMIN_PASSWORD: ${GRAFANA_PASSWORD}",
        ),
      ),
    at: { server: "app", file: COMPOSE, needle: "${GRAFANA_PASSWORD}" },
  },
  {
    policy: "resource-disallow-plain-secret",
    title: "a plaintext password in pgbouncer.ini",
    stage: "growth",
    tamper: (run) =>
      tamperFile(run, "app", PGBOUNCER_INI, (c) => c.replace("dbname=orion", "dbname=orion password=hunter22")),
    at: { server: "app", file: PGBOUNCER_INI, needle: "password=hunter22" },
  },
  {
    policy: "resource-disallow-plain-secret",
    title: "a plaintext password in the compose file",
    stage: "growth",
    tamper: (run) =>
      tamperFile(run, "app", COMPOSE, (c) =>
        c.replace("POSTGRES_PASSWORD_FILE: /etc/postgresql/secrets/db_password", "POSTGRES_PASSWORD: hunter22"),
      ),
    at: { server: "app", file: COMPOSE, needle: "POSTGRES_PASSWORD: hunter22" },
  },
  {
    policy: "deploy-enforce-budget-match",
    title: "a declared budget that says 3 GB for celery-worker, with the compose file unchanged",
    stage: "launch",
    tamper: (run) =>
      tamperRecord(
        run,
        "app",
        (record) => (record.services.find((s) => s.name === "celery-worker")!.memoryLimitMb = 3072),
      ),
    at: { server: "app", file: COMPOSE, needle: "mem_limit: 512m", after: "  celery-worker:" },
  },
  {
    policy: "server-disallow-non-arm",
    title: "an x86 server type",
    stage: "launch",
    tamper: (run) => tamper(run, "app", (inputs) => (inputs.serverType = "cx22"), "hcloud:index/server:Server"),
  },
  {
    policy: "stateful-enforce-protection",
    title: "the db server without rebuild protection",
    stage: "scale",
    tamper: (run) => tamper(run, "db", (inputs) => (inputs.rebuildProtection = false), "hcloud:index/server:Server"),
  },
  {
    policy: "placement-enforce-spread",
    title: "a worker server outside the placement group",
    stage: "enterprise",
    tamper: (run) =>
      tamper(
        run,
        "worker-2",
        (inputs, resource) => {
          delete inputs.placementGroupId;
          delete resource.propertyDependencies.placementGroupId;
        },
        "hcloud:index/server:Server",
      ),
  },
  {
    policy: "resource-disallow-config-secret",
    title: "an app secret whose name no shape catches, written into the compose file",
    stage: "growth",
    stackSecrets: true,
    tamper: (run) =>
      tamperFile(run, "app", COMPOSE, (c) =>
        c.replace("STRIPE_KEY: ${STRIPE_KEY}", `STRIPE_KEY: ${appSecret("STRIPE_KEY")}`),
      ),
  },
  {
    policy: "server-enforce-release-fit",
    title: "a launch release that starts the second API container without stopping the workers first",
    stage: "launch",
    tamper: (run) =>
      tamperFile(run, "app", RELEASE_SH, (c) =>
        c.replace("STOPPED_FIRST='celery-worker celery-beat'", "STOPPED_FIRST=''"),
      ),
    at: { server: "app", file: COMPOSE, needle: "mem_limit:", after: "  api:" },
  },
  {
    policy: "stage-enforce-monthly-budget",
    title: "scale on a 20 EUR budget",
    stage: "scale",
    config: { monthlyBudgetEur: 20 },
  },
  {
    policy: "stage-enforce-load-fit",
    title: "growth serving 12 clients and 150 stores",
    stage: "growth",
    config: { clients: 12, stores: 150 },
  },
];

/** The program's run for a case, tampered. */
export async function runCase(c: PolicyCase): Promise<MockRun> {
  const { runOrion } = await import("./orion");
  const run = await runOrion({ stage: c.stage, ...c.config });
  return c.tamper ? c.tamper(run) : run;
}

/** The stack config a case's preview hands the pack (PULUMI_CONFIG). */
export function caseConfig(c: PolicyCase): Record<string, string> {
  const plain = Object.fromEntries(
    Object.entries({ stage: c.stage, ...c.config }).map(([k, v]) => [`orion:${k}`, String(v)]),
  );
  return c.stackSecrets ? { ...plain, ...OFFLINE_SECRETS } : plain;
}
