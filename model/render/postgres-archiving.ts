import { STANZA } from "../backup";
import type { PlannedService } from "../plan-types";

/**
 * postgresql.conf settings for continuous archiving with pgBackRest, on the
 * primary and on every replica: a replica does not archive while it replays,
 * and starts with these settings the moment it is promoted.
 */
export function archivingSettings(db: PlannedService): Record<string, string | number> {
  const p = db.postgres!;
  return {
    archive_mode: "on",
    // pgBackRest finds its config and the repository's secrets in the container (PGBACKREST_* from the env file).
    archive_command: `pgbackrest --stanza=${STANZA} archive-push %p`,
    // A partly filled WAL segment is archived after this long: the most commits a lost volume can take with it.
    archive_timeout: p.archiveTimeoutSeconds,
    // A replica that stops consuming its slot holds back at most this much WAL; then the slot is invalidated, not the disk filled.
    max_slot_wal_keep_size: `${p.maxSlotWalKeepSizeMb}MB`,
  };
}
