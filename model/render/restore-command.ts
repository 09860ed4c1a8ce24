import type { Plan, PlannedServer } from "../plan-types";
import { PGDATA_MOUNT_PATH } from "../plan";
import { formatMb } from "../units";
import { COMPOSE_PROJECT } from "./compose";
import { PGBACKREST_PATHS } from "./pgbackrest";
import { DEPLOY_DIR } from "./server-files";
import { DB_NAME, DB_USER } from "./service-configs";

/** Where a scratch copy listens on the database server: loopback only, reached through an SSH tunnel. */
export const SCRATCH_PORT = 55432;
const SCRATCH_CONTAINER = `${COMPOSE_PROJECT}-db-scratch`;
/** On the pgdata volume: a scratch copy needs as much room as the database. */
const SCRATCH_DIR = `${PGDATA_MOUNT_PATH}/scratch`;

/**
 * The script `npm run restore` runs over SSH on the database server, as the
 * deploy does: it stops at a running database, restores with the
 * scheduler's container (`docker compose run pgbackrest orion-restore`, the
 * same image, config and secrets), starts PostgreSQL and waits until recovery
 * has ended. `--scratch` restores a second copy beside production instead,
 * on loopback, with archiving off.
 */
export function renderRestoreCommand(plan: Plan, server: PlannedServer): string {
  const db = server.services.find((s) => s.name === "db");
  if (!db) throw new Error(`${server.name} runs no primary database; restore on ${plan.backup.primary}`);
  const compose = `docker compose -p ${COMPOSE_PROJECT}`;
  const psql = `psql -U ${DB_USER} -d ${DB_NAME} -XAtc 'SELECT pg_is_in_recovery()'`;
  const scratchData = "/var/lib/postgresql/scratch/pgdata";
  return `#!/bin/bash
# orion restore on ${server.name} (model/render/restore-command.ts): run by \`npm run restore\` over SSH.
set -euo pipefail
cd ${DEPLOY_DIR}
mode=restore
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --to | --set) args+=("$1" "\${2:?$1 needs a value}"); shift 2 ;;
    --overwrite) args+=(--overwrite); shift ;;
    --scratch) mode=scratch; shift ;;
    --scratch-remove) mode=scratch-remove; shift ;;
    *) echo "restore: unknown option $1" >&2; exit 64 ;;
  esac
done

# Waits until PostgreSQL in container $1 has replayed its WAL and accepts writes.
wait_promoted() {
  for _ in $(seq 1 1800); do
    if [ "$(docker exec "$1" ${psql} 2>/dev/null || true)" = f ]; then return 0; fi
    if [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" != true ]; then
      echo "restore: PostgreSQL stopped during recovery; its last lines:" >&2
      docker logs --tail 30 "$1" >&2
      return 1
    fi
    sleep 2
  done
  echo "restore: recovery has not ended after an hour; watch it with: docker logs -f $1" >&2
  return 1
}

case $mode in
  restore)
    if [ -n "$(${compose} ps -q --status running db)" ]; then
      echo "restore: refusing: PostgreSQL is running (service db of the compose project ${COMPOSE_PROJECT} on ${server.name}). Stop the app, then the database (${compose} stop db), and run the restore again." >&2
      exit 3
    fi
    ${compose} run --rm --no-deps -T pgbackrest bash ${PGBACKREST_PATHS.bin}/orion-restore "\${args[@]}"
    ${compose} up -d --no-deps db
    wait_promoted "$(${compose} ps -q db)"
    echo "restore: PostgreSQL on ${server.name} is open for writes. Start the rest with pulumi up (or ${compose} --profile full up -d --wait on each server)."
    ;;
  scratch)
    if docker inspect ${SCRATCH_CONTAINER} >/dev/null 2>&1; then
      echo "restore: a scratch copy already exists (${SCRATCH_CONTAINER}); remove it first with --scratch-remove" >&2
      exit 3
    fi
    echo "restore: the scratch copy runs with db's limit (${formatMb(db.memoryLimitMb)}) beside production; this server's planned headroom is ${formatMb(server.headroomMb)}. Remove it when done."
    ${compose} run --rm --no-deps -T -v ${SCRATCH_DIR}:/var/lib/postgresql/scratch -e PGBACKREST_PG1_PATH=${scratchData} pgbackrest bash ${PGBACKREST_PATHS.bin}/orion-restore --scratch "\${args[@]}"
    ${compose} run -d --no-deps --name ${SCRATCH_CONTAINER} -p 127.0.0.1:${SCRATCH_PORT}:5432 -v ${SCRATCH_DIR}:/var/lib/postgresql/scratch -e PGDATA=${scratchData} db postgres -c config_file=/etc/postgresql/postgresql.conf -c archive_mode=off
    wait_promoted ${SCRATCH_CONTAINER}
    echo "restore: scratch copy on 127.0.0.1:${SCRATCH_PORT} of ${server.name}: ssh -L ${SCRATCH_PORT}:127.0.0.1:${SCRATCH_PORT} deploy@<${server.name}>, then psql postgresql://${DB_USER}@localhost:${SCRATCH_PORT}/${DB_NAME}"
    ;;
  scratch-remove)
    docker rm -f ${SCRATCH_CONTAINER} >/dev/null 2>&1 || true
    ${compose} run --rm --no-deps -T -v ${SCRATCH_DIR}:/var/lib/postgresql/scratch --entrypoint rm pgbackrest -rf ${scratchData}
    echo "restore: scratch copy removed"
    ;;
esac
`;
}
