#!/usr/bin/env bash
# The documented contract of the official postgres image's entrypoint, written
# for the test bed: POSTGRES_USER (default postgres), POSTGRES_PASSWORD (or
# POSTGRES_PASSWORD_FILE),
# POSTGRES_DB (default: the user), POSTGRES_INITDB_ARGS, PGDATA; initdb only
# when PGDATA holds no cluster; /docker-entrypoint-initdb.d; as root it fixes
# ownership and drops to the postgres user with gosu.
set -Eeo pipefail

if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" != 'postgres' ]; then
	exec "$@"
fi

if [ "$(id -u)" = '0' ]; then
	mkdir -p "$PGDATA"
	chown postgres:postgres "$PGDATA"
	chmod 700 "$PGDATA" || :
	mkdir -p /var/run/postgresql
	chown postgres:postgres /var/run/postgresql
	chmod 3777 /var/run/postgresql
	exec gosu postgres "$BASH_SOURCE" "$@"
fi

# POSTGRES_PASSWORD_FILE: the official image's Docker-secrets form of the password (its file_env).
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
	if [ -n "${POSTGRES_PASSWORD:-}" ]; then
		echo 'error: both POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE are set (but are exclusive)' >&2
		exit 1
	fi
	POSTGRES_PASSWORD="$(< "$POSTGRES_PASSWORD_FILE")"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	POSTGRES_USER="${POSTGRES_USER:-postgres}"
	POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != 'trust' ]; then
		echo 'Error: Database is uninitialized and superuser password is not specified (POSTGRES_PASSWORD).' >&2
		exit 1
	fi
	echo "initdb in $PGDATA"
	# shellcheck disable=SC2086
	initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") ${POSTGRES_INITDB_ARGS:-}
	printf '\nhost all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"

	# A temporary server on the socket only, with the caller's settings (config_file and all).
	shift
	pg_ctl -D "$PGDATA" -w -o "$(printf '%q ' "$@") -c listen_addresses='' -p 5432" start
	if [ "$POSTGRES_DB" != 'postgres' ]; then
		PGPASSWORD="${POSTGRES_PASSWORD:-}" psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres --set db="$POSTGRES_DB" <<-'SQL'
			CREATE DATABASE :"db" ;
		SQL
	fi
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
			*.sh) echo "running $f"; . "$f" ;;
			*.sql) echo "running $f"; PGPASSWORD="${POSTGRES_PASSWORD:-}" psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f "$f" ;;
			*) ;;
		esac
	done
	pg_ctl -D "$PGDATA" -m fast -w stop
	set -- postgres "$@"
	echo 'PostgreSQL init process complete; ready for start up.'
fi

exec "$@"
