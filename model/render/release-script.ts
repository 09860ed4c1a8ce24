import { endpoint } from "../addresses";
import type { Plan, PlannedServer } from "../plan-types";
import { APP_SERVICES, SURGE_PORT_OFFSET, type PlannedRelease } from "../release";
import { SERVICES, type ServiceName } from "../services";
import { CADDYFILE } from "./caddy";
import { DB_NAME, DB_USER } from "./service-configs";

/**
 * The release script: what one server does, during its deploy, to replace
 * the app's containers without dropping requests, run the migration once,
 * and apply rotated secrets to the services that keep their own copy
 * (PostgreSQL's role password, Grafana's admin password; Alertmanager is
 * recreated by compose when its secrets change, see compose.ts). The deploy writes
 * it beside the compose file and runs it once the new files are in place
 * (`bash release.sh`) and again after compose has converged
 * (`bash release.sh finish`). model/release.ts says why each step is where it is.
 */

/** The script, relative to the deploy directory. */
export const RELEASE_SCRIPT = "release.sh";
/** Where a server keeps what its releases did: history, migrated images, fingerprints of applied secrets. Relative to the deploy directory. */
export const RELEASE_STATE_DIR = "releases";
export const RELEASE_HISTORY = `${RELEASE_STATE_DIR}/history.jsonl`;
/** Caddy's config while the surge container serves; the deploy writes it beside the Caddyfile. */
export const SURGE_CADDYFILE = `${CADDYFILE}.surge`;
/** The one-off API container that serves while the canonical one is replaced. */
export const SURGE_CONTAINER = "orion-api-surge";

/** Seconds Uvicorn gets to finish the requests it has after SIGTERM (compose stop_grace_period and the release's drain). */
export const API_STOP_TIMEOUT_S = 30;
/**
 * Seconds between Caddy's switch to another API container and the stop of the one it left: requests Caddy
 * accepted under its previous config may still be on their way to that container (Kamal's drain_timeout).
 */
export const API_DRAIN_S = 5;
/** Seconds a Celery worker gets to finish its running tasks after SIGTERM (warm shutdown); the guide's tasks (store syncs, e-mails) take less. */
export const WORKER_STOP_TIMEOUT_S = 120;
/** Seconds a new API container gets to answer its health path before the release gives up and keeps the old version. */
export const API_START_TIMEOUT_S = 180;

/** The database password as a file for the postgres image (POSTGRES_PASSWORD_FILE), read only when the cluster is created. */
export const DB_PASSWORD_FILE = { file: "config/postgres/secrets/db_password", env: "DB_PASSWORD" } as const;
/** Inside the db container, where compose mounts config/postgres. */
export const DB_PASSWORD_FILE_IN_CONTAINER = "/etc/postgresql/secrets/db_password";

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'"'"'`)}'`;
}

export interface ReleaseScriptInput {
  plan: Plan;
  server: PlannedServer;
  release: PlannedRelease;
  /** The app image as the compose file names it (digest-pinned where the program resolved one). */
  appImageRef: string;
  /** Published ports per service on this server (compose.ts publishedPorts). */
  published: Record<string, string[]>;
  project: string;
}

/** `127.0.0.1:8000:8000` -> the surge's `127.0.0.1:8001:8000`. */
export function surgeMapping(apiMapping: string): string {
  const [host, hostPort, containerPort] = apiMapping.split(":");
  return `${host}:${Number(hostPort) + SURGE_PORT_OFFSET}:${containerPort}`;
}

/** The address part of a port mapping: what a client on the host dials. */
const dialAddress = (mapping: string) => mapping.split(":").slice(0, 2).join(":");

/** Does the script have anything to do on this server? */
export function needsReleaseScript(server: PlannedServer): boolean {
  return server.services.some((s) => APP_SERVICES.includes(s.name) || s.name === "db" || s.name === "grafana");
}

export function renderReleaseScript(input: ReleaseScriptInput): string {
  const { plan, server, release, project } = input;
  const runs = (name: ServiceName) => server.services.some((s) => s.name === name);
  const appServices = APP_SERVICES.filter(runs);
  const infraServices = server.services.map((s) => s.name).filter((n) => !APP_SERVICES.includes(n) && n !== "db");
  if (server.caddy) infraServices.push("caddy" as ServiceName);
  const apiMapping = input.published.api?.[0];
  const api = release.api;
  const surge = api && api.strategy !== "rolling" && apiMapping ? surgeMapping(apiMapping) : undefined;
  const dbHere = runs("db");
  const migrate = release.migrates && plan.app.migrateCommand ? plan.app.migrateCommand : undefined;
  const direct = endpoint(plan, "db", server);

  const settings = [
    `PROJECT=${shellQuote(project)}`,
    `APP_IMAGE=${shellQuote(input.appImageRef)}`,
    `SERVER=${shellQuote(server.name)}`,
    `APP_SERVICES=${shellQuote(appServices.join(" "))}`,
    `INFRA_SERVICES=${shellQuote(infraServices.join(" "))}`,
    `API_STRATEGY=${shellQuote(api?.strategy ?? "")}`,
    `STOPPED_FIRST=${shellQuote(api?.stoppedFirst.join(" ") ?? "")}`,
    `HEALTH_PATH=${shellQuote(plan.app.healthPath)}`,
    `API_ADDRESS=${shellQuote(apiMapping ? dialAddress(apiMapping) : "")}`,
    `SURGE_PUBLISH=${shellQuote(surge ?? "")}`,
    `SURGE_ADDRESS=${shellQuote(surge ? dialAddress(surge) : "")}`,
    `SURGE_CONTAINER=${shellQuote(SURGE_CONTAINER)}`,
    `CADDY_CONFIG=${shellQuote(`/etc/caddy/${CADDYFILE.split("/").pop()}`)}`,
    `SURGE_CADDY_CONFIG=${shellQuote(`/etc/caddy/${SURGE_CADDYFILE.split("/").pop()}`)}`,
    `MIGRATE_COMMAND=${shellQuote(migrate ?? "")}`,
    `DB_HERE=${dbHere ? 1 : 0}`,
    `PGBOUNCER_HERE=${runs("pgbouncer") ? 1 : 0}`,
    `DB_USER=${shellQuote(DB_USER)}`,
    `DB_NAME=${shellQuote(DB_NAME)}`,
    `API_STOP_TIMEOUT=${API_STOP_TIMEOUT_S}`,
    `API_DRAIN=${API_DRAIN_S}`,
    `WORKER_STOP_TIMEOUT=${WORKER_STOP_TIMEOUT_S}`,
    `API_START_TIMEOUT=${API_START_TIMEOUT_S}`,
    `STATE=${shellQuote(RELEASE_STATE_DIR)}`,
  ];
  return `#!/usr/bin/env bash
# Release of the app on ${server.name} (${plan.stage}): generated by orion-infra (model/render/release-script.ts).
# bash release.sh          after the deploy has moved the new files into place
# bash release.sh finish   after compose has converged
${migrate && direct ? `# The migration uses the direct URL (${direct.host}:${direct.port}), never PgBouncer: it needs a session of its own.\n` : ""}set -euo pipefail
${settings.join("\n")}
PHASE="\${1:-release}"
cd "$(dirname "$0")"
umask 077
mkdir -p "$STATE"
# The env file: every secret and the app's settings, as compose reads them.
set -a
. ./.env
set +a

compose() { docker compose -p "$PROJECT" --profile full "$@"; }
say() { printf '[release %s %s] %s\\n' "$SERVER" "$(date -u +%H:%M:%S)" "$*"; }
# The containers compose runs for a service (one-off containers such as the surge are not among them).
ids() { docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" --filter "label=com.docker.compose.oneoff=False"; }
running_ids() { docker ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" --filter "label=com.docker.compose.oneoff=False"; }
# A service is released when its running containers do not match the compose file (image, env, command, limit).
changed() {
  local want have
  want=$(compose config --hash "$1" | awk '{print $2}')
  have=$(for id in $(running_ids "$1"); do docker inspect -f '{{index .Config.Labels "com.docker.compose.config-hash"}}' "$id"; done | sort -u)
  [ "$have" != "$want" ]
}
fingerprint() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
applied() { [ -f "$STATE/$1.sha256" ] && [ "$(cat "$STATE/$1.sha256")" = "$(fingerprint "$2")" ]; }
remember() { fingerprint "$2" > "$STATE/$1.sha256"; }

# Asks the new API for its health path the way its proxy will reach it: from Caddy's container where Caddy runs here, else inside the API container.
healthy() {
  if [ -n "$(running_ids caddy)" ]; then
    timeout 10 docker compose -p "$PROJECT" exec -T caddy wget -q -O /dev/null "http://$1$HEALTH_PATH" 2>/dev/null
  else
    timeout 10 docker exec "$2" python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:${SERVICES.api.port}'+sys.argv[1], timeout=5)" "$HEALTH_PATH" 2>/dev/null
  fi
}
# Waits for an API container (id) at an address to answer; on time-out prints what it answered and its last log lines.
wait_healthy() {
  local address="$1" id="$2" waited=0
  until healthy "$address" "$id"; do
    if [ "$(docker inspect -f '{{.State.Running}}' "$id" 2>/dev/null)" != "true" ] || [ "$waited" -ge "$((API_START_TIMEOUT * 2))" ]; then
      say "the new API at $address did not answer $HEALTH_PATH within $API_START_TIMEOUT s; its answer and last log lines:"
      if [ -n "$(running_ids caddy)" ]; then timeout 10 docker compose -p "$PROJECT" exec -T caddy wget -S -O - "http://$address$HEALTH_PATH" 2>&1 | tail -n 5 || true; fi
      docker logs --tail 30 "$id" 2>&1 || true
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
}
# docker exec, not compose exec: the switch is where a rotated password's window is open, and compose's own start-up is the slow part.
caddy_load() { docker exec "$(running_ids caddy | head -n 1)" caddy reload --config "$1" --adapter caddyfile; }

# A new orion:dbPassword: PostgreSQL's role password changes (existing sessions stay), and PgBouncer, which logs in
# with the password of its userlist, reloads it (a SIGHUP keeps its client and server connections; compose mounts its
# directory, so the userlist the deploy moved into place is the one it reads). Run at the last moment before a client
# with the new password needs it: clients still holding the old one fail only on new connections from then on.
ROTATE_PENDING=0
rotate_db_password() {
  [ "$ROTATE_PENDING" -eq 1 ] || return 0
  say "dbPassword: ALTER ROLE $DB_USER (existing connections stay; clients switch now)"
  # On stdin, never on a command line; the session logs no statement.
  printf "SET log_statement = 'none';\\nSET log_min_error_statement = 'panic';\\nALTER ROLE %s PASSWORD '%s';\\n" "$DB_USER" "$DB_PASSWORD" |
    docker exec -i "$(running_ids db)" psql -q -v ON_ERROR_STOP=1 -U "$DB_USER" -d "$DB_NAME" >/dev/null
  if [ "$PGBOUNCER_HERE" -eq 1 ] && [ -n "$(running_ids pgbouncer)" ]; then
    # shellcheck disable=SC2046
    docker kill -s HUP $(running_ids pgbouncer) >/dev/null
    say "dbPassword: PgBouncer reloaded its userlist"
  fi
  remember db-password "$DB_PASSWORD"
  ROTATE_PENDING=0
}

# Undo what a failed release did before the old API stopped: the old version goes on serving.
BORROWED=""
SURGED=0
restore() {
  local status=$?
  [ "$status" -eq 0 ] && return 0
  if [ "$SURGED" -eq 1 ]; then
    say "release failed: Caddy back to the running API, surge removed"
    caddy_load "$CADDY_CONFIG" || true
    docker rm -f "$SURGE_CONTAINER" >/dev/null 2>&1 || true
  fi
  if [ -n "$BORROWED" ]; then
    say "release failed: starting the old $STOPPED_FIRST again"
    docker start $BORROWED >/dev/null || true
  fi
  exit "$status"
}

release() {
  # The database first: its role password changes before any client switches to the new one. Where the app runs
  # beside it, that waits until the new API is ready to take over (or a migration needs the new password).
  if [ "$DB_HERE" -eq 1 ]; then
    compose up -d --wait --no-deps db
    if ! applied db-password "$DB_PASSWORD"; then ROTATE_PENDING=1; fi
    if [ -z "$APP_SERVICES" ]; then rotate_db_password; fi
  fi
  if [ -n "$INFRA_SERVICES" ]; then
    # shellcheck disable=SC2086
    compose up -d --wait --remove-orphans --no-deps $INFRA_SERVICES
  fi
  [ -n "$APP_SERVICES" ] || return 0
  # A surge left by an interrupted release: Caddy back on the canonical API, then it goes.
  if docker inspect "$SURGE_CONTAINER" >/dev/null 2>&1; then
    caddy_load "$CADDY_CONFIG" || true
    docker rm -f "$SURGE_CONTAINER" >/dev/null
  fi

  local api_changed=0 workers_changed=0 beat_changed=0 first=0 started
  started=$(date +%s%3N)
  case " $APP_SERVICES " in *" api "*) if changed api; then api_changed=1; fi;; esac
  case " $APP_SERVICES " in *" celery-worker "*) if changed celery-worker; then workers_changed=1; fi;; esac
  case " $APP_SERVICES " in *" celery-beat "*) if changed celery-beat; then beat_changed=1; fi;; esac
  if [ $((api_changed + workers_changed + beat_changed)) -eq 0 ]; then
    rotate_db_password
    say "the app's containers match the compose file: nothing to release"
    return 0
  fi
  [ -n "$(running_ids api)$(running_ids celery-worker)$(running_ids celery-beat)" ] || first=1
  trap restore EXIT

  # Borrow: workers and beat stop warm (running tasks finish; queued ones wait in Redis) and lend their memory.
  if [ "$api_changed" -eq 1 ] && [ "$first" -eq 0 ] && [ "$API_STRATEGY" = borrow ]; then
    for service in $STOPPED_FIRST; do BORROWED="$BORROWED $(running_ids "$service")"; done
    say "stopping $STOPPED_FIRST (warm, up to $WORKER_STOP_TIMEOUT s) to make room for a second API container"
    # shellcheck disable=SC2086
    compose stop $STOPPED_FIRST
  fi

  if [ -n "$MIGRATE_COMMAND" ] && ! grep -qxF "$APP_IMAGE" "$STATE/migrated" 2>/dev/null; then
    rotate_db_password
    say "migrating with $APP_IMAGE: $MIGRATE_COMMAND"
    # The direct URL: interpolation takes DATABASE_URL from this shell before the env file.
    DATABASE_URL="$DATABASE_URL_DIRECT" compose run --rm --no-deps -T api sh -c "$MIGRATE_COMMAND"
    printf '%s\\n' "$APP_IMAGE" >> "$STATE/migrated"
    say "migration done"
  fi

  if [ "$api_changed" -eq 1 ]; then
    if [ "$first" -eq 1 ] || [ -z "$(running_ids api)" ] || [ "$API_STRATEGY" = rolling ]; then
      # No old API to keep serving here (first start, or another API server serves meanwhile): compose replaces it.
      rotate_db_password
      compose up -d --no-deps api
      wait_healthy "$API_ADDRESS" "$(running_ids api | head -n 1)"
    else
      local old
      old=$(running_ids api)
      docker rm -f "$SURGE_CONTAINER" >/dev/null 2>&1 || true
      SURGED=1
      compose run -d --no-deps --name "$SURGE_CONTAINER" --publish "$SURGE_PUBLISH" api >/dev/null
      wait_healthy "$SURGE_ADDRESS" "$SURGE_CONTAINER"
      rotate_db_password
      caddy_load "$SURGE_CADDY_CONFIG"
      say "Caddy sends new requests to the new API ($SURGE_ADDRESS); the old one finishes what it has"
      sleep "$API_DRAIN"
      # shellcheck disable=SC2086
      docker stop -t "$API_STOP_TIMEOUT" $old >/dev/null
      SURGED=2
      BORROWED=""
      compose up -d --no-deps api
      wait_healthy "$API_ADDRESS" "$(running_ids api | head -n 1)"
      caddy_load "$CADDY_CONFIG"
      say "Caddy sends new requests to the new API ($API_ADDRESS); the surge finishes what it has"
      sleep "$API_DRAIN"
      docker stop -t "$API_STOP_TIMEOUT" "$SURGE_CONTAINER" >/dev/null
      docker rm "$SURGE_CONTAINER" >/dev/null
      SURGED=0
      say "the new API serves on $API_ADDRESS"
    fi
  fi
  BORROWED=""
  # Workers: compose stops the old ones warm (SIGTERM, up to $WORKER_STOP_TIMEOUT s), then starts the new ones.
  # Beat: stopped before the new one starts, so that exactly one schedules tasks.
  local rest=""
  case " $APP_SERVICES " in *" celery-worker "*) rest="$rest celery-worker";; esac
  case " $APP_SERVICES " in *" celery-beat "*) rest="$rest celery-beat";; esac
  rotate_db_password
  if [ -n "$rest" ]; then
    # shellcheck disable=SC2086
    compose up -d --no-deps $rest
  fi
  trap - EXIT

  local image_id repo_digest took_ms connection by
  image_id=$(docker image inspect -f '{{.Id}}' "$APP_IMAGE")
  repo_digest=$(docker image inspect -f '{{join .RepoDigests ","}}' "$APP_IMAGE")
  took_ms=$(( $(date +%s%3N) - started ))
  # Who: the deploy user and the address the release came from (the operator's machine or the CI runner); \`pulumi stack history\` names the person.
  connection="\${SSH_CONNECTION:-local}"
  by="\${USER:-$(id -un)}@\${connection%% *}"
  printf '{"time":"%s","server":"%s","image":"%s","imageId":"%s","repoDigest":"%s","by":"%s","api":%s,"workers":%s,"beat":%s,"ms":%s}\\n' \\
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$SERVER" "$APP_IMAGE" "$image_id" "$repo_digest" "$by" "$api_changed" "$workers_changed" "$beat_changed" "$took_ms" >> "$STATE/history.jsonl"
  say "released $APP_IMAGE ($image_id)"
}

finish() {
  # Grafana takes GF_SECURITY_ADMIN_PASSWORD only when it creates its database; after that a new one is set with its CLI.
  # The first deploy only remembers it: Grafana's first start has just used it.
  if [ -n "$(running_ids grafana)" ] && [ ! -f "$STATE/grafana-password.sha256" ]; then
    remember grafana-password "$GRAFANA_ADMIN_PASSWORD"
  elif [ -n "$(running_ids grafana)" ] && ! applied grafana-password "$GRAFANA_ADMIN_PASSWORD"; then
    printf '%s' "$GRAFANA_ADMIN_PASSWORD" | docker exec -i "$(running_ids grafana)" grafana cli admin reset-admin-password --password-from-stdin >/dev/null
    remember grafana-password "$GRAFANA_ADMIN_PASSWORD"
    say "grafanaPassword: admin password set in Grafana"
  fi
}

case "$PHASE" in
  release) release ;;
  finish) finish ;;
  *) echo "usage: bash $0 [release|finish]" >&2; exit 2 ;;
esac
`;
}

/**
 * The deploy's release steps on one server: the new app image is on the
 * engine before any file is switched (a tag no registry has fails the deploy
 * with the old version untouched), the release runs once the files are in
 * place, and its finish once compose has converged.
 */
export function releaseDeploySteps(
  server: PlannedServer,
  appImageRef: string,
): { prepare: string[]; beforeUp: string[]; afterUp: string[] } {
  if (!needsReleaseScript(server)) return { prepare: [], beforeUp: [], afterUp: [] };
  const runsApp = server.services.some((s) => APP_SERVICES.includes(s.name));
  return {
    prepare: runsApp
      ? [
          `docker image inspect ${shellQuote(appImageRef)} >/dev/null 2>&1 || docker pull --quiet ${shellQuote(appImageRef)}`,
        ]
      : [],
    beforeUp: [`bash ${RELEASE_SCRIPT}`],
    afterUp: [`bash ${RELEASE_SCRIPT} finish`],
  };
}
