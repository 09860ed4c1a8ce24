/**
 * The app contract: what the Orion image must provide, and the parts that
 * differ between apps (orion:appApiModule, orion:appCeleryApp,
 * orion:appHealthPath, orion:appMigrateCommand). The guide shows the API
 * command (`uvicorn main:app --host 0.0.0.0 --port 8000 --workers 4`); the
 * defaults keep it and the Celery app module the compose files always used.
 */
export const UVICORN_APP = "main:app";
export const CELERY_APP = "app.celery_app";
/** The Celery queue (a Redis list) whose length the guide's ">100 for 10 min" threshold reads. */
export const CELERY_QUEUE = "celery";
/** The API's health endpoint: compose healthcheck, Caddy's and the load balancer's check, and the release's wait. */
export const API_HEALTH_PATH = "/health";
/** Prometheus scrapes it on the backend or private network; Caddy answers it with 404 from outside. */
export const API_METRICS_PATH = "/metrics";

/** What one stack runs of the app: where the parts of the contract that differ between apps are set. */
export interface AppContract {
  /** The ASGI app Uvicorn serves, `module:attribute`. */
  apiModule: string;
  /** The Celery app, as `celery -A` takes it. */
  celeryApp: string;
  /** Answers 200 while the API can serve, without needing the database. */
  healthPath: string;
  /** Run once per new image, before any new API or worker container starts; none when unset. */
  migrateCommand?: string;
  /** Names of orion:appEnv (plain) and orion:appSecrets (secret) variables: their values travel only in the env file. */
  envNames: string[];
}

export const APP_DEFAULTS = { apiModule: UVICORN_APP, celeryApp: CELERY_APP, healthPath: API_HEALTH_PATH } as const;

/**
 * Variables the platform sets in the app's environment, or keeps in the env
 * file for other services: orion:appEnv and orion:appSecrets may not reuse
 * them (a clash would silently send the app the platform's value or the
 * other way round). The prefix ORION_ is kept for the platform's own.
 */
export const PLATFORM_ENV_NAMES = [
  "DATABASE_URL",
  "DATABASE_URL_DIRECT",
  "DATABASE_URL_READONLY",
  "CELERY_BROKER_URL",
  "CELERY_BROKER_MASTER_NAME",
  "REDIS_URL",
  "DB_POOL_SIZE",
  "DB_MAX_OVERFLOW",
  "DB_PASSWORD",
  "POSTGRES_EXPORTER_DSN",
  "FLOWER_BASIC_AUTH",
  "GRAFANA_ADMIN_PASSWORD",
  "SMTP_PASSWORD",
  "ALERT_WEBHOOK_URL",
  "REGISTRY_USERNAME",
  "REGISTRY_PASSWORD",
] as const;

/** An environment variable name compose and the shell both read as one. */
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** Why a name cannot be one of the app's own variables, or undefined when it can. */
export function appEnvNameProblem(name: string): string | undefined {
  if (!ENV_NAME.test(name)) return "is not an environment variable name; use capitals, digits and _ (e.g. SECRET_KEY)";
  if ((PLATFORM_ENV_NAMES as readonly string[]).includes(name)) return "is set by the platform; choose another name";
  if (name.startsWith("ORION_")) return "starts with ORION_, which the platform keeps for itself; choose another name";
  return undefined;
}

/**
 * What the image must provide, in the operator's words; the README's
 * "Releasing the app" section and `npm run plan` print it.
 */
export function contractLines(app: AppContract, apiPort: number): string[] {
  return [
    `API: \`uvicorn ${app.apiModule}\` on port ${apiPort} (the platform adds --host, --port, --workers and --proxy-headers); python in the image for the health check`,
    `health: GET ${app.healthPath} answers 200 once the API can serve, without needing the database`,
    `metrics: GET ${API_METRICS_PATH} in Prometheus' text format (http_request_duration_seconds for the latency alert)`,
    `Celery: \`celery -A ${app.celeryApp} worker\` and \`celery -A ${app.celeryApp} beat\`; tasks acknowledged late (task_acks_late) so a worker stopped mid-task gives it back`,
    `migrations: ${app.migrateCommand ? `\`${app.migrateCommand}\`, run with sh -c in the new image, with DATABASE_URL set to the direct (not pooled) URL; it must be safe to run again` : "none (set orion:appMigrateCommand, e.g. alembic upgrade head)"}`,
    "stops gracefully on SIGTERM: Uvicorn finishes the requests it has, a Celery worker the tasks it runs",
  ];
}
