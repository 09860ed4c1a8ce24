import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  backups,
  createDatabase,
  destroyVolume,
  runScript,
  setUpDrill,
  startDatabase,
  startRestored,
  type DrillDatabase,
  type DrillSetup,
} from "../drill/harness";
import { segmentEnd, Writer, type WrittenRow } from "../drill/writer";

/**
 * The restore drill (README: Backups and restore). The launch stage's
 * database with the generated postgresql.conf, pgbackrest.conf and scripts,
 * archiving to an S3 server over HTTPS on loopback, while a stand-in app
 * commits a row every 100 ms: a full backup, a differential, the volume lost,
 * a restore of the latest state and one to a point in time, and the
 * repository damaged in the ways a restore must refuse.
 */
let setup: DrillSetup;
let db: DrillDatabase;
let writer: Writer;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const archiveTimeoutMs = () => setup.plan.backup.archiveTimeoutSeconds * 1000;

async function restoredIds(): Promise<number[]> {
  const c = db.postgres!.client();
  await c.connect();
  const { rows } = await c.query("SELECT id FROM drill_rows ORDER BY id");
  await c.end();
  return rows.map((r) => Number(r.id));
}

async function lastArchivedWal(): Promise<string> {
  const c = db.postgres!.superuser();
  await c.connect();
  const { rows } = await c.query("SELECT last_archived_wal FROM pg_stat_archiver");
  await c.end();
  return rows[0].last_archived_wal;
}

/** Removes one object from the S3 server's storage, as a lost or deleted file in the bucket. */
function deleteObject(key: string): void {
  for (const suffix of ["._S3rver_object", "._S3rver_object.md5", "._S3rver_metadata.json"])
    rmSync(join(setup.s3.storage, "orion-drill", `${key}${suffix}`), { force: true });
}

function objects(prefix: string): string[] {
  const base = join(setup.s3.storage, "orion-drill");
  const walk = (dir: string): string[] =>
    readdirSync(join(base, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? walk(join(dir, e.name))
        : e.name.endsWith("._S3rver_object")
          ? [join(dir, e.name.replace(/\._S3rver_object$/, ""))]
          : [],
    );
  return walk(prefix).sort();
}

beforeAll(async () => {
  setup = await setUpDrill();
  db = await createDatabase(setup);
  const c = db.postgres!.client();
  await c.connect();
  await Writer.createTable(c);
  await c.end();
  writer = new Writer(() => db.postgres!.client());
  writer.start();
}, 120_000);

afterAll(async () => {
  await writer?.stop();
  await db?.postgres?.stop();
  await setup?.s3.stop();
});

describe("the restore drill on loopback", () => {
  it("takes a full backup on the first pass of the scheduler, and nothing more until the next daily slot", async () => {
    const first = await runScript(setup, db, "orion-backup", ["--once"]);
    expect({ status: first.status, output: first.status === 0 ? "" : first.output }).toEqual({ status: 0, output: "" });
    expect(first.output).toContain("a full backup is due");
    const again = await runScript(setup, db, "orion-backup", ["--once"]);
    expect(again.output).not.toContain("backup is due");
    expect((await backups(setup, db)).map((b) => b.type)).toEqual(["full"]);
    // node-exporter's textfile: the newest full backup's time, read from the repository.
    const metrics = readFileSync(join(setup.dir, "metrics", "orion_backup.prom"), "utf8");
    expect(metrics).toMatch(/^orion_backup_last_success_timestamp_seconds\{type="full"\} \d{10}$/m);
    expect(readFileSync(join(setup.dir, "metrics", "orion_backup_check.prom"), "utf8")).toContain(
      "orion_backup_repository_ok 1",
    );
  }, 300_000);

  it("takes a differential at the next daily slot while the app keeps writing", async () => {
    await sleep(10_000);
    const tomorrow = String(Math.floor(Date.now() / 1000) + 86_400);
    const diff = await runScript(setup, db, "orion-backup", ["--once"], { ORION_NOW: tomorrow });
    expect({ status: diff.status, output: diff.status === 0 ? "" : diff.output }).toEqual({ status: 0, output: "" });
    expect(diff.output).toContain("a diff backup is due");
    expect((await backups(setup, db)).map((b) => b.type)).toEqual(["full", "diff"]);
  }, 300_000);

  it("refuses to restore onto the data directory of a running PostgreSQL", async () => {
    const r = await runScript(setup, db, "orion-restore");
    expect(r.status).toBe(3);
    expect(r.output).toMatch(
      /PostgreSQL is running on .*\/data \(postmaster\.pid names PID \d+\): stop it before restoring/,
    );
  });

  let pointInTime: { target: string; rowsAtOrBefore: number[] };
  let lostVolumeAt = 0;
  let archivedBeforeLoss = "";

  it("loses the volume after the app wrote for longer than archive_timeout", async () => {
    const from = writer.rows.length;
    // Long enough for archive_timeout to close a segment that holds rows written after the differential.
    await sleep(archiveTimeoutMs() + 15_000);
    // T: between two rows of this stretch, 20 s in, away from both (rows are ~100 ms apart).
    const stretch = writer.rows.slice(from);
    const i = stretch.findIndex((r) => r.ackedAt > stretch[0].ackedAt + 20_000);
    const before = stretch[i - 1];
    const after = stretch[i];
    const t = new Date(Math.floor((before.ackedAt + after.writtenAt.getTime()) / 2));
    expect(after.writtenAt.getTime() - before.ackedAt).toBeGreaterThan(20);
    pointInTime = {
      target: `${t.toISOString().replace("T", " ").replace("Z", "")}+00`,
      rowsAtOrBefore: writer.rows.filter((r) => r.id <= before.id).map((r) => r.id),
    };
    archivedBeforeLoss = await lastArchivedWal();
    lostVolumeAt = Date.now();
    await destroyVolume(db);
    await writer.stop();
    expect(existsSync(db.cluster.data)).toBe(false);
  }, 300_000);

  it("restores the latest state: every row archived before the loss is back, and at most archive_timeout of commits is lost", async () => {
    const started = Date.now();
    const r = await runScript(setup, db, "orion-restore");
    expect({ status: r.status, output: r.status === 0 ? "" : r.output }).toEqual({ status: 0, output: "" });
    await startRestored(setup, db);
    const restoreMs = Date.now() - started;
    const ids = new Set(await restoredIds());
    const acknowledged = writer.rows;
    const archivedEnd = segmentEnd(archivedBeforeLoss);
    const mustBeBack = acknowledged.filter((row) => row.lsnAfter !== undefined && row.lsnAfter <= archivedEnd);
    const lost = acknowledged.filter((row) => !ids.has(row.id));
    expect(mustBeBack.filter((row) => !ids.has(row.id))).toEqual([]);
    // The rows that are back are a prefix of what the app wrote: nothing from the middle is missing.
    const back = acknowledged.filter((row) => ids.has(row.id));
    expect(back.map((row) => row.id)).toEqual(acknowledged.slice(0, back.length).map((row) => row.id));
    const oldestLost: WrittenRow | undefined = lost[0];
    const windowMs = oldestLost ? lostVolumeAt - oldestLost.ackedAt : 0;
    // archive_timeout, plus the time one archive-push takes to upload the segment.
    expect(windowMs).toBeLessThanOrEqual(archiveTimeoutMs() + 15_000);
    process.stdout.write(
      `Restore drill, latest: ${back.length} of ${acknowledged.length} acknowledged rows back; ${lost.length} lost, ` +
        `committed in the last ${(windowMs / 1000).toFixed(1)} s before the volume was lost (archive_timeout ${setup.plan.backup.archiveTimeoutSeconds} s); ` +
        `restore and recovery took ${(restoreMs / 1000).toFixed(1)} s\n`,
    );
  }, 600_000);

  it("loses nothing when the last segment was archived before the volume was lost", async () => {
    const c = db.postgres!.client();
    await c.connect();
    const ids: number[] = [];
    for (let i = 0; i < 20; i++)
      ids.push(
        Number((await c.query("INSERT INTO drill_rows (note) VALUES ('after the restore') RETURNING id")).rows[0].id),
      );
    const { rows } = await c.query("SELECT pg_walfile_name(pg_switch_wal()) AS wal");
    await c.end();
    await waitForArchived(rows[0].wal);
    await destroyVolume(db);
    const r = await runScript(setup, db, "orion-restore");
    expect({ status: r.status, output: r.status === 0 ? "" : r.output }).toEqual({ status: 0, output: "" });
    await startRestored(setup, db);
    const back = new Set(await restoredIds());
    const lost = ids.filter((id) => !back.has(id));
    expect(lost).toEqual([]);
    process.stdout.write(
      `Restore drill, latest after the last segment was archived: ${ids.length} of ${ids.length} rows back, 0 lost\n`,
    );
  }, 600_000);

  it("restores to a point in time between two writes: exactly the rows committed at or before it", async () => {
    await db.postgres!.stop();
    const refused = await runScript(setup, db, "orion-restore", ["--to", pointInTime.target]);
    expect(refused.status).toBe(4);
    expect(refused.output).toMatch(
      /data is not empty \(PostgreSQL 15 data, .*\): add --overwrite to replace it with the backup/,
    );
    const r = await runScript(setup, db, "orion-restore", ["--to", pointInTime.target, "--overwrite"]);
    expect({ status: r.status, output: r.status === 0 ? "" : r.output }).toEqual({ status: 0, output: "" });
    expect(r.output).toContain(`then WAL up to ${pointInTime.target}`);
    await startRestored(setup, db);
    const ids = await restoredIds();
    const firstRows = writer.rows.filter((row) => ids.includes(row.id)).map((row) => row.id);
    expect(ids).toEqual(pointInTime.rowsAtOrBefore);
    expect(firstRows).toEqual(pointInTime.rowsAtOrBefore);
    process.stdout.write(
      `Restore drill, point in time ${pointInTime.target}: ${ids.length} rows, the last at or before it; none after\n`,
    );
  }, 600_000);

  it("stops recovery with an error naming the segment when a WAL file is missing from the middle of the archive", async () => {
    // Three more segments on the current timeline, each archived; the middle one then goes missing.
    const segments: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = db.postgres!.client();
      await c.connect();
      await c.query("INSERT INTO drill_rows (note) VALUES ('before the gap')");
      segments.push((await c.query("SELECT pg_walfile_name(pg_switch_wal()) AS wal")).rows[0].wal);
      await c.end();
      await waitForArchived(segments[i]);
    }
    await db.postgres!.stop();
    const segment = segments[1];
    const victim = objects("pgbackrest/archive/orion").find((k) => k.includes(`/${segment}-`))!;
    deleteObject(victim);
    const r = await runScript(setup, db, "orion-restore", ["--overwrite"]);
    expect({ status: r.status, output: r.status === 0 ? "" : r.output }).toEqual({ status: 0, output: "" });
    await expect(startRestored(setup, db, 120_000)).rejects.toThrow(
      new RegExp(
        `WAL segment ${segment} is missing from the repository, but [0-9A-F]{24} of the same timeline is there`,
      ),
    );
    db.postgres = undefined;
  }, 600_000);

  it("fails a restore whose backup lost a file, naming it, and leaves a directory PostgreSQL refuses to start", async () => {
    const [latest] = (await backups(setup, db)).slice(-1);
    const file = objects(`pgbackrest/backup/orion/${latest.label}`).find(
      (k) => /\/bundle\/\d+$/.test(k) || /\/pg_data\/base\//.test(k),
    )!;
    deleteObject(file);
    const r = await runScript(setup, db, "orion-restore", ["--overwrite"]);
    expect(r.status).toBe(7);
    expect(r.output).toContain(file.replace(/^.*?\/backup\/orion\//, ""));
    expect(r.output).toMatch(
      /the restore of backup .* failed \(pgBackRest's error above names what is missing\); .* PostgreSQL will not start on it/,
    );
    await expect(startDatabase(setup, db)).rejects.toThrow(/global\/pg_control/);
    db.postgres = undefined;
  }, 600_000);

  it("fails a restore of a corrupted backup file, naming it", async () => {
    const [full] = await backups(setup, db);
    const file = objects(`pgbackrest/backup/orion/${full.label}`).find(
      (k) => /\/bundle\/\d+$/.test(k) || /\/pg_data\/base\/.*\.lz4$/.test(k),
    )!;
    const path = join(setup.s3.storage, "orion-drill", `${file}._S3rver_object`);
    const bytes = readFileSync(path);
    for (let i = 64; i < Math.min(bytes.length, 4096); i += 7) bytes[i] ^= 0xff;
    writeFileSync(path, bytes);
    // Into an empty directory: a delta restore would keep files that already match and never read the damaged one.
    rmSync(db.cluster.data, { recursive: true, force: true });
    const r = await runScript(setup, db, "orion-restore", ["--set", full.label]);
    expect(r.output).toMatch(/ERROR: \[\d+\]/);
    expect(r.status).toBe(7);
    // Which files the restore wrote before the damaged one depends on the bundle's order: either is a refusal.
    await expect(startDatabase(setup, db)).rejects.toThrow(/global\/pg_control|PG_VERSION" is missing/);
    db.postgres = undefined;
  }, 600_000);

  it("keeps PostgreSQL from creating an empty database on a new volume while the bucket holds backups of it", async () => {
    const refused = await runScript(setup, db, "orion-guard");
    expect(refused.status).toBe(1);
    expect(refused.output).toMatch(
      /refusing to create an empty database: the repository holds \d+ backups of this one \(newest \d{8}-\d{6}F_\d{8}-\d{6}D, finished 20\d\d-/,
    );
    // A new stack's empty bucket: the first start may create the database.
    expect(await runScript(setup, db, "orion-guard", [], { PGBACKREST_REPO1_PATH: "/new-stack" })).toEqual({
      status: 0,
      output: "",
    });
  }, 120_000);

  it("refuses to restore from a repository that holds no backup, saying so", async () => {
    const r = await runScript(setup, db, "orion-restore", ["--overwrite"], { PGBACKREST_REPO1_PATH: "/empty" });
    expect(r.status).toBe(5);
    expect(r.output).toContain("the repository holds no backup of stanza orion (missing stanza path)");
  }, 120_000);
});

async function waitForArchived(segment: string): Promise<void> {
  const start = Date.now();
  for (;;) {
    const archived = await lastArchivedWal().catch(() => "");
    if (archived >= segment) return;
    if (Date.now() - start > 120_000) throw new Error(`${segment} was not archived in 120 s`);
    await sleep(500);
  }
}
