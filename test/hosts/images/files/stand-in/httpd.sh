#!/bin/sh
# A stand-in for an image Debian does not package: BusyBox's httpd answers the
# health check (and, for cAdvisor, a metrics page) that the compose file and
# Prometheus call, on the port the real image listens on. Nothing else.
set -e
port="${STANDIN_PORT:?}"
[ -n "${STANDIN_PORT_ENV:-}" ] && eval "port=\${$STANDIN_PORT_ENV:-$port}"
echo "stand-in for ${STANDIN_FOR:?}: serving $STANDIN_ROOT on :$port"
exec busybox httpd -f -v -p "$port" -h "${STANDIN_ROOT:?}"
