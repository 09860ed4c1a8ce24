#!/usr/bin/env bash
# Installs the Debian tools the tests run (README "Tests"), once: `npm test` runs this first
# (its pretest step), and CI (.ci/run) runs it on a fresh Debian 12 machine. Nothing to do when
# every tool is there; as root it installs what is missing; as another user it prints the one
# command that does, and fails, since a test whose tool is missing fails anyway.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: mermaid-cli renders the topology diagrams in it (its own browser download is never run).
# openssh-client: ssh-keygen checks the SSH key fingerprints Hetzner computes.
# pgbackrest, jq, openssl: the restore drill (pgBackRest against an S3 server on loopback over TLS).
DEBIAN_PACKAGES=(docker-compose cloud-init postgresql-15 pgbouncer redis-server prometheus prometheus-alertmanager gettext-base chromium caddy docker.io iproute2 util-linux pgbackrest jq openssl openssh-client)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Docker Compose v2 (`docker compose config` checks the rendered compose files).
compose_v2=yes
docker compose version >/dev/null 2>&1 || compose_v2=no

if [ ${#missing[@]} -eq 0 ] && [ "$compose_v2" = yes ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  [ "$compose_v2" = no ] && missing+=("the Docker Compose v2 plugin")
  echo "The tests need tools that are not installed: ${missing[*]}." >&2
  echo "Install them once, as root:  sudo $0" >&2
  exit 1
fi

if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian 12 has only Compose v1, so the v2 plugin comes from Debian 13's docker-compose package,
# fetched under a temporary apt configuration that leaves the machine's own sources alone.
if [ "$compose_v2" = no ]; then
  apt_tmp=$(mktemp -d)
  echo "deb http://deb.debian.org/debian trixie main" > "$apt_tmp/sources.list"
  apt_opts=(-o "Dir::Etc::sourcelist=$apt_tmp/sources.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$apt_tmp/lists" -o "Dir::Cache=$apt_tmp/cache")
  mkdir -p "$apt_tmp/lists/partial" "$apt_tmp/cache/archives/partial"
  apt-get "${apt_opts[@]}" update -qq
  (cd "$apt_tmp" && apt-get "${apt_opts[@]}" download docker-compose >/dev/null)
  dpkg-deb -x "$apt_tmp"/docker-compose_*.deb "$apt_tmp/pkg"
  install -D -m 755 "$apt_tmp/pkg/usr/libexec/docker/cli-plugins/docker-compose" /usr/local/lib/docker/cli-plugins/docker-compose
  rm -rf "$apt_tmp"
fi
