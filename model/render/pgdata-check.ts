import { PGDATA_MOUNT_PATH } from "../plan";
import { MOUNT_HELPER } from "./deploy-script";

/** Where the db containers see the pgdata volume (host PGDATA_MOUNT_PATH). */
export const PGDATA_IN_CONTAINER = "/var/lib/postgresql/data";

/**
 * Shell run by the db and db-replica containers before PostgreSQL starts.
 * After a reboot the volume's fstab line has `nofail`, and Docker restarts
 * containers without waiting for mounts: if the volume did not mount,
 * PGDATA_MOUNT_PATH is an empty directory on the server's own disk and the
 * image's entrypoint would initdb a new, empty database there. The bind
 * mount of a mounted volume shows the root (`/`) of its filesystem in the
 * container's mountinfo; an unmounted one shows the directory's path on the
 * root disk. So the container refuses to start (and Docker keeps retrying,
 * with the reason in its log) until the volume is mounted. Nothing on the
 * host needs to change, so it protects servers created before this check.
 */
export function pgdataMountCheck(dataDir = PGDATA_IN_CONTAINER): string {
  return [
    "volume=no",
    // mountinfo fields: id, parent, major:minor, root within its filesystem, mount point, ...
    `while read -r _ _ _ root point _; do if [ "$point" = "${dataDir}" ] && [ "$root" = "/" ]; then volume=yes; fi; done < /proc/self/mountinfo`,
    `if [ "$volume" != yes ]; then echo "FATAL: ${PGDATA_MOUNT_PATH} on the host is not the mounted pgdata volume; PostgreSQL will not start (it would create an empty database on the server's disk). Mount it with: sudo ${MOUNT_HELPER} mount ${PGDATA_MOUNT_PATH}" >&2; exit 1; fi`,
  ].join("; ");
}
