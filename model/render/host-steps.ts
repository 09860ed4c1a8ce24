import { CLOUD_INIT_BUDGET_SECONDS } from "../boot";
import { STOP_PHASES } from "../rescale";
import { COMPOSE_PROJECT } from "./compose";
import { DEPLOY_USER } from "./deploy-script";
import { DEPLOY_DIR } from "./server-files";

/** What cloud-init must have finished before anything is deployed: named in the message when it has not. */
export const CLOUD_INIT_PROVIDES = `the packages (Docker, the compose plugin, fail2ban, unattended-upgrades, gettext-base), the ${DEPLOY_USER} user with its SSH keys, and ${DEPLOY_DIR}`;

const quote = (text: string) => `'${text.replace(/'/g, `'"'"'`)}'`;

/**
 * Run as root on a new server (root has the stack's keys from Hetzner before
 * sshd starts; the deploy user gets them only at the end of cloud-init):
 * waits until cloud-init has finished, and fails with a message that names
 * the server and what it waited for. `cloud-init status --wait` exits 0 when
 * done, 2 when done with recoverable errors (a warning here), 1 on a failure.
 */
export function renderCloudInitWaitScript(server: string, budgetSeconds = CLOUD_INIT_BUDGET_SECONDS): string {
  const minutes = Math.round(budgetSeconds / 60);
  const waited = `waited ${budgetSeconds < 120 ? `${budgetSeconds} s` : `${minutes} minutes`} for cloud-init to provide ${CLOUD_INIT_PROVIDES}`;
  const report = `{ cloud-init status --long; echo '--- last lines of /var/log/cloud-init-output.log:'; tail -n 40 /var/log/cloud-init-output.log; } >&2 2>/dev/null || true`;
  return [
    "set -u",
    `server=${quote(server)}`,
    "status=0",
    `timeout ${budgetSeconds} cloud-init status --wait >/dev/null || status=$?`,
    'case "$status" in',
    "  0) ;;",
    `  2) echo "orion: server $server: cloud-init finished with recoverable errors:" >&2; cloud-init status --long >&2 || true ;;`,
    `  124) echo "orion: server $server: cloud-init has not finished; ${waited}" >&2; ${report}; exit 1 ;;`,
    `  *) echo "orion: server $server: cloud-init failed (cloud-init status exit $status); ${waited}" >&2; ${report}; exit 1 ;;`,
    "esac",
    // Finished is not enough: check what the deploy needs from it.
    `for need in "/home/${DEPLOY_USER}/.ssh/authorized_keys:the ${DEPLOY_USER} user's SSH keys" "${DEPLOY_DIR}:the deploy directory"; do`,
    '  [ -e "${need%%:*}" ] || { echo "orion: server $server: cloud-init finished without ${need#*:} (${need%%:*})" >&2; exit 1; }',
    "done",
    `command -v docker >/dev/null && docker compose version >/dev/null || { echo "orion: server $server: cloud-init finished without Docker and its compose plugin" >&2; exit 1; }`,
  ]
    .join("\n")
    .concat("\n");
}

/**
 * Run as the deploy user on a server whose type is about to change, before
 * Hetzner powers it off: stops the compose project in the phases of
 * model/rescale.ts, then flushes the file systems. It reads the services from
 * the compose file on the server (the one the last deploy wrote, which may
 * differ from the new stage's), so it stops what runs there. The deploy after
 * the rescale starts everything again.
 */
export function renderStopForRescaleScript(server: string, fromType: string, toType: string): string {
  const lines = [
    "set -eu",
    `cd ${DEPLOY_DIR}`,
    `echo "orion: server ${server}: stopping the compose project before Hetzner powers the server off to change its type (${fromType} -> ${toType})"`,
    // Nothing deployed yet (a failed first deploy): nothing to stop.
    "if [ ! -f compose.yaml ]; then sync; exit 0; fi",
    `compose() { docker compose -p ${COMPOSE_PROJECT} --profile full "$@"; }`,
    "defined=$(compose config --services)",
    // A phase stops those of its services the compose file has, all at once, each within its stop_grace_period.
    'phase() { what="$1"; shift; set -- $(for s in "$@"; do if printf \'%s\\n\' "$defined" | grep -qx "$s"; then echo "$s"; fi; done); if [ $# -gt 0 ]; then echo "orion: $what: $*"; compose stop "$@"; fi; }',
  ];
  STOP_PHASES.forEach((p, i) => lines.push(`phase ${quote(`${i + 1}. ${p.what}`)} ${p.services.join(" ")}`));
  lines.push("# Anything else the project runs (services added since), then the file systems.");
  lines.push("compose stop", "sync");
  return lines.join("\n").concat("\n");
}
