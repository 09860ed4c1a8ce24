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
# The real-hosts test bed (test/hosts/README.md): debootstrap for its images, sshd and sudo for the deploy user.
DEBIAN_PACKAGES+=(debootstrap openssh-server sudo)
# The release script is checked with ShellCheck (test/render/release.test.ts).
DEBIAN_PACKAGES+=(shellcheck)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# From Debian 13 (.ci/install-from-debian13): Docker Compose v2 (`docker compose config` checks the rendered compose
# files; the test bed's deploys run it) and the test bed's Docker Engine 26 (test/hosts/README.md).
mapfile -t from_debian13 < <(.ci/install-from-debian13 --missing)

if [ ${#missing[@]} -eq 0 ] && [ ${#from_debian13[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  missing+=("${from_debian13[@]}")
  echo "The tests need tools that are not installed: ${missing[*]}." >&2
  echo "Install them once, as root:  sudo $0" >&2
  exit 1
fi

if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  # No service starts at install (docker.io would start a dockerd of its own): the test bed starts its engines itself.
  no_starts=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && no_starts=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$no_starts" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

if [ ${#from_debian13[@]} -gt 0 ]; then
  .ci/install-from-debian13 >/dev/null
fi
