import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parse } from "yaml";
import { renderCompose } from "../../model/render/compose";
import { pgHbaFor, postgresConfFor } from "../../model/render/service-configs";
import { planFor } from "../helpers";
import { createAppRole, initCluster, startCluster, TEST_DB_PASSWORD, type PostgresServer } from "./postgres";
import { POSTGRES_BIN, serviceDir, waitFor } from "./support";

/** The enterprise primary and its first read replica, set up with the command the replica's container runs. */
const enterprise = planFor("enterprise");
const primaryDb = enterprise.servers.find((s) => s.name === "db")!.services.find((s) => s.name === "db")!;
const replicaServer = enterprise.servers.find((s) => s.name === "db-replica-1")!;
const replicaDb = replicaServer.services.find((s) => s.name === "db-replica")!;

let primary: PostgresServer;
let replica: PostgresServer;

/** The replica container's first-start script (pg_basebackup -R), with the primary's address moved to loopback. */
function basebackupScript(primaryPort: number): string {
  const compose = parse(renderCompose(enterprise, replicaServer));
  const script: string = compose.services["db-replica"].command[2];
  const init = /(if \[ ! -s "\$\$PGDATA.*?; fi);/.exec(script)![1];
  return init
    .replace(/-h 10\.0\.1\.\d+ -p 5432/g, `-h 127.0.0.1 -p ${primaryPort}`)
    .replace(/\$\$/g, "$")
    .replace(/gosu postgres /g, "");
}

/** The replica container's `-c primary_conninfo=...` (no password: the WAL receiver takes PGPASSWORD from its environment), on loopback. */
function replicaConninfoArgs(primaryPort: number): string[] {
  const compose = parse(renderCompose(enterprise, replicaServer));
  const script: string = compose.services["db-replica"].command[2];
  const conninfo = /-c '(primary_conninfo=[^']*)'/.exec(script)![1];
  return ["-c", conninfo.replace(/host=10\.0\.1\.\d+ port=5432/, `host=127.0.0.1 port=${primaryPort}`)];
}

/** The replica as its container starts it: PGPASSWORD in the environment is orion:dbPassword as the env file has it now. */
const startReplica = (dir: string, data: string, password: string) =>
  startCluster(
    { dir, data },
    postgresConfFor(replicaDb),
    pgHbaFor(enterprise),
    "replica",
    { ...process.env, PGPASSWORD: password },
    replicaConninfoArgs(primary.port),
  );

let replicaDir = { dir: "", data: "" };

beforeAll(async () => {
  primary = await startCluster(initCluster(), postgresConfFor(primaryDb), pgHbaFor(enterprise), "primary");
  await createAppRole(primary);
  const dir = serviceDir("orion-replica-");
  const data = join(dir, "data");
  const backup = spawnSync("bash", ["-c", basebackupScript(primary.port)], {
    env: { ...process.env, PATH: `${POSTGRES_BIN}:${process.env.PATH}`, PGDATA: data, PGPASSWORD: TEST_DB_PASSWORD },
    encoding: "utf8",
    ...(process.getuid?.() === 0
      ? {
          uid: Number(spawnSync("id", ["-u", "postgres"]).stdout),
          gid: Number(spawnSync("id", ["-g", "postgres"]).stdout),
        }
      : {}),
    cwd: dir,
  });
  if (backup.status !== 0) throw new Error(`pg_basebackup failed: ${backup.stderr}`);
  replicaDir = { dir, data };
  replica = await startReplica(dir, data, TEST_DB_PASSWORD);
}, 180_000);

afterAll(async () => {
  await replica?.stop();
  await primary?.stop();
});

describe("the enterprise read replica", () => {
  it("streams from the primary through the replication slot the container creates", async () => {
    const c = primary.superuser();
    await c.connect();
    // The replica accepts connections before its WAL receiver has reached the primary: give it the moment it needs.
    await waitFor(
      "the replica's WAL receiver to stream",
      async () => (await c.query("SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'")).rows.length > 0,
    );
    const slots = (await c.query("SELECT slot_name, active FROM pg_replication_slots")).rows;
    const senders = (await c.query("SELECT state FROM pg_stat_replication")).rows;
    await c.end();
    expect(slots).toEqual([{ slot_name: "db_replica_1", active: true }]);
    expect(senders).toEqual([{ state: "streaming" }]);
  });

  it("shows a write on the primary within a measured delay", async () => {
    const writer = primary.client();
    const reader = replica.client();
    await writer.connect();
    await reader.connect();
    await writer.query("CREATE TABLE IF NOT EXISTS replication_probe (id serial PRIMARY KEY, note text)");
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { rows } = await writer.query("INSERT INTO replication_probe (note) VALUES ($1) RETURNING id", [
        `probe ${i}`,
      ]);
      const start = performance.now();
      for (;;) {
        const seen = await reader
          .query("SELECT 1 FROM replication_probe WHERE id = $1", [rows[0].id])
          .catch(() => ({ rowCount: 0 }));
        if (seen.rowCount === 1) break;
        if (performance.now() - start > 10_000) throw new Error(`row ${rows[0].id} did not reach the replica in 10 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
      delays.push(performance.now() - start);
    }
    await writer.end();
    await reader.end();
    const sorted = delays.sort((a, b) => a - b);
    expect(sorted[sorted.length - 1]).toBeLessThan(1000);
    process.stdout.write(
      `Replica: a write on the primary is readable on the replica after ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms (median), ${sorted[sorted.length - 1].toFixed(1)} ms (max of 20)\n`,
    );
  });

  it("refuses writes", async () => {
    const c = replica.client();
    await c.connect();
    await expect(c.query("INSERT INTO replication_probe (note) VALUES ('on the replica')")).rejects.toThrow(
      /cannot execute INSERT in a read-only transaction/,
    );
    expect((await c.query("SELECT pg_is_in_recovery() AS r")).rows[0].r).toBe(true);
    await c.end();
  });

  it("follows a new orion:dbPassword: after ALTER ROLE on the primary, the replica recreated with the new env file streams again", async () => {
    const rotated = "rotated-db-password-9d2e";
    const c = primary.superuser();
    // The primary's shutdown at the end must not surface as an unhandled error should a check below fail first.
    c.on("error", () => undefined);
    await c.connect();
    await c.query(`ALTER ROLE orion PASSWORD '${rotated}'`);
    // pg_basebackup -R wrote the old password into the replica's postgresql.auto.conf: only the container's primary_conninfo keeps it from being used.
    const autoConf = spawnSync("cat", [join(replicaDir.data, "postgresql.auto.conf")], { encoding: "utf8" }).stdout;
    await replica.stop();
    await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_replication");
    const started = performance.now();
    replica = await startReplica(replicaDir.dir, replicaDir.data, rotated);
    let senders: unknown[];
    try {
      await waitFor(
        "the replica to stream again with the new password",
        async () => (await c.query("SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'")).rows.length > 0,
        60_000,
      );
      senders = (await c.query("SELECT usename, state FROM pg_stat_replication")).rows;
    } finally {
      await c.end();
    }
    process.stdout.write(
      `Replica: streaming again ${((performance.now() - started) / 1000).toFixed(1)} s after its restart with the rotated password\n`,
    );
    expect(autoConf).toContain(`password=''${TEST_DB_PASSWORD}''`);
    expect(senders).toEqual([{ usename: "orion", state: "streaming" }]);
  });
});
