import { stringify } from "yaml";
import { PGDATA_MOUNT_PATH } from "../plan";
import { DEPLOY_USER, MOUNT_HELPER } from "./deploy-script";
import { DEPLOY_DIR } from "./server-files";

/** Ubuntu 24.04 ships Docker Engine and the compose v2 plugin (`--wait`) as packages; Debian 12 has only compose v1. */
export const SERVER_IMAGE = "ubuntu-24.04";

/**
 * Mounts the Hetzner volume attached to this server by its stable device
 * name (Hetzner's own automount path holds the volume id; this gives
 * PostgreSQL the same path on every server), or releases it so that it can
 * move to another server. A server has at most one volume, so none is named.
 */
const MOUNT_HELPER_SCRIPT = `#!/bin/sh
set -eu
action="$1"; mount_point="$2"
[ "$mount_point" = "${PGDATA_MOUNT_PATH}" ] || { echo "only ${PGDATA_MOUNT_PATH} may be mounted" >&2; exit 2; }
case "$action" in
  release)
    if mountpoint -q "$mount_point"; then sync; umount "$mount_point"; fi
    sed -i "\\# $mount_point #d" /etc/fstab
    exit 0;;
  mount) ;;
  *) echo "usage: $0 mount|release ${PGDATA_MOUNT_PATH}" >&2; exit 2;;
esac
for _ in $(seq 1 60); do
  set -- /dev/disk/by-id/scsi-0HC_Volume_*
  [ -b "$1" ] && break; sleep 2
done
[ -b "$1" ] || { echo "no Hetzner volume is attached" >&2; exit 1; }
[ $# -eq 1 ] || { echo "more than one volume is attached: $*" >&2; exit 1; }
device="$1"
mkdir -p "$mount_point"
grep -q " $mount_point " /etc/fstab || echo "$device $mount_point ext4 discard,nofail,defaults 0 0" >> /etc/fstab
mountpoint -q "$mount_point" || mount "$mount_point"
`;

/**
 * User-data for every server in every stage. It must never change: a change
 * replaces the server and loses its disk. Keys, stage and services are
 * deployed after boot by the deploy command.
 */
export function renderCloudInit(): string {
  const config = {
    package_update: true,
    package_upgrade: true,
    // gettext-base: envsubst fills secrets from the env file into configs that cannot read them from a file.
    packages: ["docker.io", "docker-compose-v2", "fail2ban", "unattended-upgrades", "gettext-base"],
    users: [{ name: DEPLOY_USER, shell: "/bin/bash", lock_passwd: true, groups: ["docker"] }],
    write_files: [
      {
        path: "/etc/ssh/sshd_config.d/90-orion.conf",
        permissions: "0644",
        content: "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n",
      },
      {
        path: "/etc/fail2ban/jail.d/sshd.local",
        permissions: "0644",
        content: "[sshd]\nenabled = true\nmaxretry = 5\nbantime = 1h\n",
      },
      {
        path: "/etc/apt/apt.conf.d/20auto-upgrades",
        permissions: "0644",
        content: 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n',
      },
      {
        path: "/etc/docker/daemon.json",
        permissions: "0644",
        content:
          '{"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}, "live-restore": true}\n',
      },
      { path: MOUNT_HELPER, permissions: "0755", content: MOUNT_HELPER_SCRIPT },
      {
        path: "/etc/sudoers.d/90-orion-deploy",
        permissions: "0440",
        content: `${DEPLOY_USER} ALL=(root) NOPASSWD: ${MOUNT_HELPER}\n`,
      },
    ],
    runcmd: [
      // Hetzner puts the stack's SSH keys on root; the deploy user starts with the same, and each deploy rotates them.
      ["install", "-d", "-m", "700", "-o", DEPLOY_USER, "-g", DEPLOY_USER, `/home/${DEPLOY_USER}/.ssh`],
      [
        "install",
        "-m",
        "600",
        "-o",
        DEPLOY_USER,
        "-g",
        DEPLOY_USER,
        "/root/.ssh/authorized_keys",
        `/home/${DEPLOY_USER}/.ssh/authorized_keys`,
      ],
      ["install", "-d", "-m", "755", "-o", DEPLOY_USER, "-g", DEPLOY_USER, DEPLOY_DIR],
      ["usermod", "-aG", "docker", DEPLOY_USER],
      ["systemctl", "enable", "--now", "docker", "fail2ban", "unattended-upgrades"],
      ["systemctl", "restart", "ssh"],
    ],
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}
