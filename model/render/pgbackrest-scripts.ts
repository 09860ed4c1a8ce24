/**
 * The scripts that run pgBackRest in the database's containers. They are
 * files of the compose project (config/pgbackrest/bin), mounted read-only,
 * and the restore drill runs the same files against PostgreSQL on loopback.
 * Each gets its settings (stanza, schedule) as assignments after the shebang
 * (model/render/pgbackrest.ts); paths and credentials come from pgBackRest's
 * own config file and PGBACKREST_* variables.
 */

/**
 * The scheduler of the pgbackrest container. Every few minutes it reads the
 * repository itself (`pgbackrest info`) and takes the backup that is due: a
 * full one when there is none or the newest full is seven daily slots old, a
 * differential when nothing was taken since today's slot. It runs on every
 * server with PostgreSQL and backs up only a primary, so a promoted replica
 * starts backing up by itself. What it finds goes to node-exporter's textfile
 * collector, so the alerts judge the bucket's contents, not this loop's intentions.
 */
export const BACKUP_SCRIPT = `#!/bin/bash
# orion-backup: scheduled pgBackRest base backups (\`--once\`: one pass, for tests and by hand).
set -u
metrics_dir=\${ORION_METRICS_DIR:-/var/lib/orion/metrics}
# While PostgreSQL starts: how soon to look again (the stanza, and so WAL archiving, waits for the first pass).
starting_retry_seconds=10

# Compose starts it as root: it owns the metrics volume, then runs as postgres like the image's entrypoint.
if [ "$(id -u)" = 0 ]; then
  install -d -o postgres -g postgres -m 755 "$metrics_dir"
  exec gosu postgres bash "$0" "$@"
fi

log() { echo "orion-backup: $*"; }
# ORION_NOW lets the tests stand at another moment of the schedule; backups themselves use the real clock.
now() { echo "\${ORION_NOW:-$(date -u +%s)}"; }
newest() { jq "[.[0].backup[]? | select($1 and (.error | not)) | .timestamp.$2] | max // 0"; }

# Prints the type of backup that is due (full or diff), or nothing.
due() {
  local info=$1 t slot last_full last_any
  t=$(now)
  slot=$(( t - t % 86400 + daily_hour_utc * 3600 ))
  [ "$t" -lt "$slot" ] && slot=$(( slot - 86400 ))
  last_full=$(newest '.type == "full"' start <<<"$info")
  last_any=$(newest true start <<<"$info")
  if [ "$last_full" -lt $(( slot - (full_every_days - 1) * 86400 )) ]; then echo full
  elif [ "$last_any" -lt "$slot" ]; then echo diff
  fi
}

# Atomic writes: node-exporter never reads half a file.
publish() {
  local name=$1 tmp
  tmp=$(mktemp "$metrics_dir/.$name.XXXXXX") || return 1
  cat >"$tmp" && chmod 644 "$tmp" && mv "$tmp" "$metrics_dir/$name"
}

write_backups() {
  {
    echo "# HELP orion_backup_last_success_timestamp_seconds When the newest complete backup of this type in the repository finished (0: none)."
    echo "# TYPE orion_backup_last_success_timestamp_seconds gauge"
    for type in full diff; do
      echo "orion_backup_last_success_timestamp_seconds{type=\\"$type\\"} $(newest ".type == \\"$type\\"" stop <<<"$1")"
    done
  } | publish orion_backup.prom
}

write_check() {
  {
    echo "# HELP orion_backup_repository_ok 1 when the last look at the backup repository and the last due backup succeeded."
    echo "# TYPE orion_backup_repository_ok gauge"
    echo "orion_backup_repository_ok $1"
  } | publish orion_backup_check.prom
}

stanza_ready=no
pass() {
  local info type role
  role=$(psql -XAtc 'SELECT pg_is_in_recovery()' 2>/dev/null)
  if [ -z "$role" ]; then
    # Starting beside PostgreSQL: WAL archiving fails until the stanza exists, so look again soon, not in a full interval.
    log "PostgreSQL does not answer yet; looking again in \${starting_retry_seconds}s"
    return 2
  fi
  if [ "$role" != f ]; then
    log "PostgreSQL is not up as a primary here; no backup (a replica starts once it is promoted)"
    return 0
  fi
  if [ "$stanza_ready" != yes ]; then
    pgbackrest --stanza="$stanza" stanza-create || { write_check 0; return 1; }
    stanza_ready=yes
  fi
  info=$(pgbackrest --stanza="$stanza" --output=json info) || { write_check 0; return 1; }
  type=$(due "$info")
  if [ -n "$type" ]; then
    log "a $type backup is due"
    if ! pgbackrest --stanza="$stanza" --type="$type" backup; then
      log "the $type backup failed; trying again in \${check_every_seconds}s"
      write_backups "$info"
      write_check 0
      return 1
    fi
    info=$(pgbackrest --stanza="$stanza" --output=json info) || { write_check 0; return 1; }
  fi
  write_backups "$info"
  write_check 1
}

if [ "\${1:-}" = --once ]; then
  pass
  exit
fi
trap 'exit 0' TERM INT
while :; do
  wait_s=$check_every_seconds
  pass || { [ $? -eq 2 ] && wait_s=$starting_retry_seconds; }
  sleep "$wait_s" &
  wait $!
done
`;

/**
 * PostgreSQL's restore_command during a restore. PostgreSQL reads any exit
 * status up to 125 as "not in the archive" and ends recovery there, which
 * would turn a missing or unreadable segment in the middle of the archive
 * into a silently shorter database. This ends recovery only at the real end
 * of the archive; any other failure exits 126, which stops recovery with an
 * error and leaves the database closed.
 */
export const ARCHIVE_GET_SCRIPT = `#!/bin/bash
# orion-archive-get FILE DEST: restore_command that never ends recovery early.
set -u
file=$1
dest=$2
pgbackrest --stanza="$stanza" archive-get "$file" "$dest"
rc=$?
case $rc in
  0) exit 0 ;;
  1) ;;
  *)
    echo "orion-archive-get: pgBackRest could not fetch $file (error $rc, above); stopping recovery rather than ending it early" >&2
    exit 126
    ;;
esac
# A history file, or a segment past the newest one archived: the normal end of recovery.
[[ $file =~ ^[0-9A-F]{24}$ ]] || exit 1
newest=$(pgbackrest --stanza="$stanza" --output=json info | jq -r --arg tl "\${file:0:8}" '[.[0].archive[]?.max | select(. != null and startswith($tl))] | max // ""')
if [ -n "$newest" ] && [[ $file < $newest ]]; then
  echo "orion-archive-get: WAL segment $file is missing from the repository, but $newest of the same timeline is there: the archive has a gap; stopping recovery rather than ending it early" >&2
  exit 126
fi
exit 1
`;

/**
 * Restores the repository into a data directory: the latest state, or a
 * point in time with --to. It refuses to touch a directory PostgreSQL is
 * running on, and one that holds data unless --overwrite is given. A restore
 * that fails leaves a directory without global/pg_control, which PostgreSQL
 * refuses to start.
 */
export const RESTORE_SCRIPT = `#!/bin/bash
# orion-restore [--to 'YYYY-MM-DD HH:MM:SS+00'] [--set LABEL] [--overwrite] [--scratch]
set -euo pipefail
pgdata=\${PGBACKREST_PG1_PATH:-/var/lib/postgresql/data/pgdata}
bin=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" = 0 ]; then
  install -d -o postgres -g postgres -m 700 "$pgdata"
  exec gosu postgres bash "$0" "$@"
fi

refuse() {
  local code=$1
  shift
  echo "orion-restore: $*" >&2
  exit "$code"
}

to="" set="" overwrite=no scratch=no
while [ $# -gt 0 ]; do
  case $1 in
    --to) to=\${2:?--to needs a time such as '2026-11-28 10:15:00+00'}; shift 2 ;;
    --set) set=\${2:?--set needs a backup label}; shift 2 ;;
    --overwrite) overwrite=yes; shift ;;
    --scratch) scratch=yes; shift ;;
    *) refuse 64 "unknown option $1; use --to TIME, --set LABEL, --overwrite or --scratch" ;;
  esac
done

if [ -e "$pgdata/postmaster.pid" ]; then
  refuse 3 "PostgreSQL is running on $pgdata (postmaster.pid names PID $(head -n1 "$pgdata/postmaster.pid")): stop it before restoring. If it crashed and no longer runs, delete $pgdata/postmaster.pid and run again."
fi
if [ -n "$(ls -A "$pgdata" 2>/dev/null)" ] && [ "$overwrite" != yes ]; then
  refuse 4 "$pgdata is not empty (PostgreSQL $(cat "$pgdata/PG_VERSION" 2>/dev/null || echo '?') data, $(du -sh "$pgdata" | cut -f1)): add --overwrite to replace it with the backup"
fi
target=""
if [ -n "$to" ]; then
  target=$(date -u -d "$to" +%s 2>/dev/null) || refuse 64 "--to '$to' is not a time; use 'YYYY-MM-DD HH:MM:SS+00'"
fi

info=$(pgbackrest --stanza="$stanza" --output=json info) || refuse 5 "cannot read the backup repository (pgBackRest's error is above)"
[ "$(jq '[.[0].backup[]?] | length' <<<"$info")" -gt 0 ] || refuse 5 "the repository holds no backup of stanza $stanza ($(jq -r '.[0].status.message' <<<"$info"))"
if [ -n "$set" ]; then
  jq -e --arg s "$set" '[.[0].backup[] | select(.label == $s)] | length > 0' <<<"$info" >/dev/null \\
    || refuse 5 "backup $set is not in the repository; it holds $(jq -r '[.[0].backup[].label] | join(", ")' <<<"$info")"
elif [ -n "$target" ]; then
  # The newest backup that finished before the target; the WAL after it brings the database to the target.
  set=$(jq -r --argjson t "$target" '[.[0].backup[] | select(.error | not) | select(.timestamp.stop <= $t)] | last | .label // ""' <<<"$info")
  [ -n "$set" ] || refuse 5 "no backup finished before $to; the oldest finished at $(jq -r '.[0].backup[0].timestamp.stop | todate' <<<"$info")"
else
  set=$(jq -r '.[0].backup[-1].label' <<<"$info")
fi

need=$(jq --arg s "$set" '.[0].backup[] | select(.label == $s) | .info.size' <<<"$info")
parent=$(dirname "$pgdata")
free=$(df --output=avail -B1 "$parent" | tail -n1)
[ "$need" -lt "$free" ] || refuse 6 "backup $set restores $((need / 1048576)) MB, but only $((free / 1048576)) MB are free on $parent"

args=(--stanza="$stanza" --set="$set" --recovery-option="restore_command=bash $bin/orion-archive-get %f \\"%p\\"")
[ "$overwrite" = yes ] && args+=(--delta)
[ -n "$to" ] && args+=(--type=time --target="$to" --target-action=promote)
# A scratch copy must never push its WAL (a new timeline) into production's repository.
[ "$scratch" = yes ] && args+=(--archive-mode=off)
echo "orion-restore: restoring backup $set into $pgdata\${to:+, then WAL up to $to}"
if ! pgbackrest "\${args[@]}" restore; then
  rm -f "$pgdata/global/pg_control"
  refuse 7 "the restore of backup $set failed (pgBackRest's error above names what is missing); $pgdata is incomplete and PostgreSQL will not start on it. Fix the cause, then run again with --overwrite."
fi
echo "orion-restore: backup $set restored; PostgreSQL replays WAL \${to:+up to $to }when it starts, then opens for writes"
`;

/**
 * Runs before PostgreSQL would create a new, empty database because its data
 * directory is empty: a new stack, or a lost volume. On a lost volume the app
 * would start on an empty database while the bucket holds the real one, so it
 * refuses and names the restore command.
 */
export const GUARD_SCRIPT = `#!/bin/bash
# orion-guard: may PostgreSQL create a new, empty database here?
set -u
if ! info=$(pgbackrest --stanza="$stanza" --output=json info); then
  echo "orion-guard: refusing to create an empty database: the backup repository cannot be read, so it is unknown whether it holds this database. Check orion:backupBucket, orion:backupEndpoint and the keys (pgBackRest's error is above)." >&2
  exit 1
fi
count=$(jq '[.[0].backup[]?] | length' <<<"$info")
if [ "$count" -gt 0 ]; then
  echo "orion-guard: refusing to create an empty database: the repository holds $count backups of this one (newest $(jq -r '.[0].backup[-1] | "\\(.label), finished \\(.timestamp.stop | todate)"' <<<"$info")). Restore it: npm run restore -- --stack <stack> (README: Backups and restore)." >&2
  exit 1
fi
`;
