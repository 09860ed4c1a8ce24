import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backupScript } from "../../model/render/pgbackrest";
import { planFor } from "../helpers";
import { POSTGRES_BIN, requireBinary } from "./support";

/**
 * The backup scheduler starts beside PostgreSQL, usually before it answers.
 * WAL archiving fails until the scheduler's first pass creates the stanza, so
 * a pass that finds no PostgreSQL at all must say so (exit 2, which the loop
 * turns into a short wait) instead of passing as a replica does (exit 0, the
 * full interval). Found on the real-hosts test bed: a fresh launch server's
 * archive_command failed for the whole first interval (5 minutes).
 */
describe("the backup scheduler's pass", () => {
  const script = backupScript(planFor("launch", { backupBucket: "orion-prod-backups" }));

  it("says PostgreSQL does not answer yet and asks for a short wait (exit 2), where a replica gets the full interval (exit 0)", () => {
    requireBinary(join(POSTGRES_BIN, "psql"));
    const dir = mkdtempSync(join(tmpdir(), "orion-scheduler-"));
    const path = join(dir, "orion-backup");
    writeFileSync(path, script);
    // No server on this socket directory: psql fails at once, as it does while PostgreSQL starts.
    const env = {
      PATH: `${POSTGRES_BIN}:/usr/bin:/bin`,
      PGHOST: dir,
      PGUSER: "orion",
      PGDATABASE: "orion",
      PGCONNECT_TIMEOUT: "2",
      ORION_METRICS_DIR: dir,
    };
    // As root the script drops to the postgres user first, as in the container; run it as that user here.
    const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
    const user = process.getuid?.() === 0 ? { uid: id("-u"), gid: id("-g") } : {};
    if (process.getuid?.() === 0) spawnSync("chown", ["-R", "postgres:postgres", dir]);
    const r = spawnSync("bash", [path, "--once"], { env, encoding: "utf8", timeout: 60_000, cwd: dir, ...user });
    expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual({
      status: 2,
      output: "orion-backup: PostgreSQL does not answer yet; looking again in 10s",
    });
  });
});
