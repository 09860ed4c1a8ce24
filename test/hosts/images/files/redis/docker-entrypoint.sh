#!/bin/sh
# The documented contract of the official redis image's entrypoint, written
# for the test bed: a first argument that is an option or a .conf file runs
# redis-server; as root, redis-server gets /data (the working directory) and
# drops to the redis user with gosu; anything else runs as given.
set -e

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec gosu redis "$0" "$@"
fi

# Redis writes its files readable by its own user only, as the official image sets up.
um="$(umask)"
if [ "$um" = '0022' ]; then
	umask 0077
fi

exec "$@"
