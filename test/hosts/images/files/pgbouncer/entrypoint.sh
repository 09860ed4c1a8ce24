#!/bin/sh
# The contract of edoburu/pgbouncer's entrypoint that the compose files rely
# on, written for the test bed: DB_USER and DB_PASSWORD become a line of the
# auth file (the password in plain text for AUTH_TYPE plain or scram-sha-256,
# as md5 otherwise), a mounted pgbouncer.ini is used as it is, then the
# command runs.
set -e

PG_CONFIG_DIR=/etc/pgbouncer
AUTH_FILE="${AUTH_FILE:-$PG_CONFIG_DIR/userlist.txt}"
[ -e "$AUTH_FILE" ] || touch "$AUTH_FILE"

if [ -n "$DB_USER" ] && [ -n "$DB_PASSWORD" ] && ! grep -q "^\"$DB_USER\"" "$AUTH_FILE"; then
	if [ "$AUTH_TYPE" = "plain" ] || [ "$AUTH_TYPE" = "scram-sha-256" ]; then
		pass="$DB_PASSWORD"
	else
		pass="md5$(printf '%s' "$DB_PASSWORD$DB_USER" | md5sum | cut -f 1 -d ' ')"
	fi
	echo "\"$DB_USER\" \"$pass\"" >> "$AUTH_FILE"
	echo "Wrote authentication credentials to $AUTH_FILE"
fi

if [ ! -f "$PG_CONFIG_DIR/pgbouncer.ini" ]; then
	echo "no $PG_CONFIG_DIR/pgbouncer.ini: the test bed's stand-in only runs with a mounted config" >&2
	exit 1
fi

exec "$@"
