import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { renderCompose } from "../../model/render/compose";
import { pgHbaFor, postgresConfFor } from "../../model/render/service-configs";
import { planFor } from "../helpers";
import { createAppRole, initCluster, startCluster, TEST_DB_PASSWORD, type PostgresServer } from "./postgres";
import { POSTGRES_BIN, serviceDir } from "./support";

/**
 * A replica's first start copies the primary through a replication slot it
 * creates. A copy that fails half-way must not leave that slot behind: nobody
 * would consume it, it would hold WAL on the primary, and the next attempt's
 * `pg_basebackup -C` would fail on it.
 */
const enterprise = planFor("enterprise");
const primaryDb = enterprise.servers.find((s) => s.name === "db")!.services.find((s) => s.name === "db")!;
const replicaServer = enterprise.servers.find((s) => s.name === "db-replica-1")!;
let primary: PostgresServer;

/** The replica container's first-start step, with the primary moved to loopback; gosu is not needed as the service user. */
function bootstrapScript(primaryPort: number): string {
  const script: string = parse(renderCompose(enterprise, replicaServer)).services["db-replica"].command[2];
  // The first-copy step, after the pgdata mount check (test/render/pgdata-mount.test.ts runs that one).
  const init = /(if \[ ! -s "\$\$PGDATA\/PG_VERSION" \]; then .*?; fi);/.exec(script)![1];
  return init
    .replace(/-h 10\.0\.1\.\d+ -p 5432/g, `-h 127.0.0.1 -p ${primaryPort}`)
    .replace(/\$\$/g, "$")
    .replace(/gosu postgres /g, "");
}

function childrenOf(pid: number): { pid: number; command: string }[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .flatMap((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, "utf8").trim();
        const [, command, rest] = /^\d+ \((.*)\) (.*)$/.exec(stat)!;
        return Number(rest.split(" ")[1]) === pid ? [{ pid: Number(p), command }] : [];
      } catch {
        return [];
      }
    });
}

async function slotNames(): Promise<string[]> {
  const c = primary.superuser();
  await c.connect();
  const { rows } = await c.query("SELECT slot_name FROM pg_replication_slots");
  await c.end();
  return rows.map((r) => r.slot_name);
}

beforeAll(async () => {
  primary = await startCluster(initCluster(), postgresConfFor(primaryDb), pgHbaFor(enterprise), "primary");
  await createAppRole(primary);
  const c = primary.client();
  await c.connect();
  // Enough data that the copy takes a while on loopback.
  await c.query(
    "CREATE TABLE filler AS SELECT g AS id, md5(g::text) || repeat('x', 400) AS payload FROM generate_series(1, 600000) g",
  );
  await c.end();
}, 300_000);

afterAll(async () => {
  await primary?.stop();
});

describe("a replica's first start", () => {
  it("drops the replication slot it created when the copy fails half-way, and exits with an error", async () => {
    const dir = serviceDir("orion-replica-slot-");
    const [uid, gid] = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith("postgres:"))!
      .split(":")
      .slice(2, 4)
      .map(Number);
    const asRoot = process.getuid?.() === 0;
    const bootstrap = spawn("bash", ["-c", bootstrapScript(primary.port)], {
      env: { PATH: `${POSTGRES_BIN}:/usr/bin:/bin`, PGDATA: join(dir, "data"), PGPASSWORD: TEST_DB_PASSWORD },
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
      ...(asRoot ? { uid, gid } : {}),
    });
    let output = "";
    bootstrap.stdout.on("data", (d) => (output += String(d)));
    bootstrap.stderr.on("data", (d) => (output += String(d)));
    const exited = new Promise<number>((resolve) => bootstrap.on("close", (code) => resolve(code ?? -1)));

    // The copy has started once the slot exists; then the copy dies, as on a lost connection.
    const start = Date.now();
    let copy: { pid: number } | undefined;
    while (!(copy = childrenOf(bootstrap.pid!).find((c) => c.command === "pg_basebackup"))) {
      if (Date.now() - start > 60_000) throw new Error(`pg_basebackup did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const watcher = primary.superuser();
    await watcher.connect();
    while (
      (await watcher.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'db_replica_1'")).rowCount === 0
    ) {
      if (Date.now() - start > 60_000) throw new Error(`no slot appeared: ${output}`);
    }
    await watcher.end();
    // pg_basebackup and its WAL-streaming child die together, as when the replica's container is killed.
    for (const child of childrenOf(copy.pid)) process.kill(child.pid, "SIGKILL");
    process.kill(copy.pid, "SIGKILL");

    expect(await exited).toBe(1);
    expect(await slotNames()).toEqual([]);
  }, 180_000);
});
