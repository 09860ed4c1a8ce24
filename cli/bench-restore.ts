import { readdirSync, readFileSync } from "node:fs";
import { Command } from "commander";
import { backups, createDatabase, destroyVolume, runScript, setUpDrill, startRestored } from "../test/drill/harness";

/**
 * The restore time (RTO) of the drill at a chosen size: seed the launch
 * stage's database, take a full backup with the scheduler, lose the volume,
 * restore and wait until PostgreSQL accepts writes. It also samples the
 * memory of pgBackRest's processes during the backup and the restore (the
 * figures behind the pgbackrest container's limit). Loopback only: Object
 * Storage's bandwidth comes on top in production.
 */
const program = new Command("npm run bench:restore --")
  .option("--size-mb <mb>", "database size to seed", "1024")
  .showHelpAfterError();

/** Peak anonymous memory of a process tree (pgBackRest's main process and its workers), sampled every 50 ms. */
function sampleTree(rootCommand: RegExp): { stop: () => number } {
  let peakKb = 0;
  const timer = setInterval(() => {
    const parents = new Map<number, number>();
    const anon = new Map<number, number>();
    const roots: number[] = [];
    for (const entry of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        const status = readFileSync(`/proc/${entry}/status`, "utf8");
        const pid = Number(entry);
        parents.set(pid, Number(/^PPid:\s+(\d+)/m.exec(status)![1]));
        anon.set(pid, Number(/^RssAnon:\s+(\d+)/m.exec(status)?.[1] ?? 0));
        if (rootCommand.test(readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " "))) roots.push(pid);
      } catch {
        // exited meanwhile
      }
    }
    const inTree = (pid: number): boolean =>
      roots.includes(pid) || (parents.has(pid) && pid > 1 && inTree(parents.get(pid)!));
    const total = [...anon].filter(([pid]) => inTree(pid)).reduce((sum, [, kb]) => sum + kb, 0);
    peakKb = Math.max(peakKb, total);
  }, 50);
  return { stop: () => (clearInterval(timer), Math.round(peakKb / 1024)) };
}

async function main(): Promise<void> {
  program.parse();
  const sizeMb = Number(program.opts<{ sizeMb: string }>().sizeMb);
  const setup = await setUpDrill();
  const db = await createDatabase(setup);
  try {
    // As on a new stack: the scheduler creates the stanza and a first full backup before data arrives, so WAL archives from then on.
    const first = await runScript(setup, db, "orion-backup", ["--once"]);
    if (first.status !== 0) throw new Error(`first backup failed: ${first.output}`);
    const c = db.postgres!.client();
    await c.connect();
    await c.query(
      "CREATE TABLE events (id bigserial PRIMARY KEY, store_id int, payload text, written_at timestamptz DEFAULT clock_timestamp())",
    );
    // About 270 bytes a row with its index: rows enough for the size asked.
    await c.query(
      `INSERT INTO events (store_id, payload) SELECT g % 1000, md5(g::text) || repeat('x', 200) FROM generate_series(1, ${Math.round((sizeMb * 1024 * 1024) / 290)}) g`,
    );
    const size = Number((await c.query<{ b: string }>("SELECT pg_database_size('orion') AS b")).rows[0].b);
    await c.query("CHECKPOINT");
    // The seed's WAL is archived before the backup starts, as it would be at the nightly slot.
    const seg = (await c.query<{ w: string }>("SELECT pg_walfile_name(pg_switch_wal()) AS w")).rows[0].w;
    while (
      (await c.query<{ last_archived_wal: string }>("SELECT last_archived_wal FROM pg_stat_archiver")).rows[0]
        .last_archived_wal < seg
    )
      await new Promise((r) => setTimeout(r, 1000));
    await c.end();

    const backupMemory = sampleTree(/orion-backup --once/);
    let started = Date.now();
    // A week later: the scheduler's next full backup.
    const backup = await runScript(setup, db, "orion-backup", ["--once"], {
      ORION_NOW: String(Math.floor(Date.now() / 1000) + 7 * 86_400),
    });
    const backupSeconds = (Date.now() - started) / 1000;
    const backupPeakMb = backupMemory.stop();
    if (backup.status !== 0) throw new Error(`backup failed: ${backup.output}`);
    const full = (await backups(setup, db)).slice(-1)[0];

    await destroyVolume(db);
    const restoreMemory = sampleTree(/orion-restore/);
    started = Date.now();
    const restore = await runScript(setup, db, "orion-restore");
    const restoreSeconds = (Date.now() - started) / 1000;
    const restorePeakMb = restoreMemory.stop();
    if (restore.status !== 0) throw new Error(`restore failed: ${restore.output}`);
    await startRestored(setup, db);
    const rtoSeconds = (Date.now() - started) / 1000;

    const mb = (bytes: number) => Math.round(bytes / 1048576);
    process.stdout.write(
      [
        `Restore benchmark (pgBackRest ${setup.plan.backup.cipher}, lz4, loopback S3 over HTTPS):`,
        `  database ${mb(size)} MB; full backup ${backupSeconds.toFixed(1)} s, ${mb(full.info.repository.size)} MB in the bucket`,
        `  RTO: restore ${restoreSeconds.toFixed(1)} s + recovery until writes are accepted = ${rtoSeconds.toFixed(1)} s`,
        `  pgBackRest peak anonymous memory: backup ${backupPeakMb} MB, restore ${restorePeakMb} MB`,
      ].join("\n") + "\n",
    );
  } finally {
    await db.postgres?.stop();
    await setup.s3.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`error: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
