import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pgHbaFor, postgresConfFor } from "../../model/render/service-configs";
import { planFor } from "../helpers";
import { createAppRole, initCluster, startCluster, type PostgresServer } from "./postgres";
import { POSTGRES_BIN, runAsServiceUser } from "./support";

/**
 * What a rescale does to PostgreSQL on the app server, on a real PostgreSQL 15
 * with the growth stage's generated settings: the stop before the rescale
 * (`docker compose stop` sends the postgres image's stop signal, SIGINT, a
 * fast shutdown) against what Hetzner's hard power-off alone would do (here:
 * the postmaster killed with SIGKILL, so nothing is shut down cleanly).
 */
const growth = planFor("growth");
const db = growth.servers.find((s) => s.name === "app")!.services.find((s) => s.name === "db")!;
const ROWS = 50_000;
// initdb, a seed and two starts: generous, so that a loaded machine does not fail the test.
const SLOW = 300_000;

const servers: PostgresServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

function clusterState(data: string): string {
  const out = runAsServiceUser(join(POSTGRES_BIN, "pg_controldata"), [data]).output;
  return /Database cluster state:\s+(.+)/.exec(out)?.[1].trim() ?? out;
}

async function seeded(name: string): Promise<{ cluster: { dir: string; data: string }; server: PostgresServer }> {
  const cluster = initCluster();
  const server = await startCluster(cluster, postgresConfFor(db), pgHbaFor(growth), name);
  servers.push(server);
  await createAppRole(server);
  const c = server.client();
  await c.connect();
  await c.query("CREATE TABLE events (id bigserial PRIMARY KEY, payload text)");
  await c.query(`INSERT INTO events (payload) SELECT repeat('x', 200) FROM generate_series(1, ${ROWS})`);
  await c.end();
  return { cluster, server };
}

async function count(server: PostgresServer): Promise<number> {
  const c = server.client();
  await c.connect();
  const { rows } = await c.query("SELECT count(*)::int AS n FROM events");
  await c.end();
  return rows[0].n;
}

describe("PostgreSQL through a rescale", () => {
  it(
    "stopped first with the image's stop signal, it writes its shutdown checkpoint and starts again without recovery",
    async () => {
      const { cluster, server } = await seeded("clean");
      const t0 = performance.now();
      await server.stop();
      const stopMs = performance.now() - t0;
      expect(clusterState(cluster.data)).toBe("shut down");
      const t1 = performance.now();
      const again = await startCluster(cluster, postgresConfFor(db), pgHbaFor(growth), "clean-again");
      servers.push(again);
      const startMs = performance.now() - t1;
      expect(again.log()).not.toContain("automatic recovery in progress");
      expect(await count(again)).toBe(ROWS);
      process.stdout.write(
        `clean stop of ${ROWS} rows: stop ${stopMs.toFixed(0)} ms, start ${startMs.toFixed(0)} ms\n`,
      );
    },
    SLOW,
  );

  it(
    "powered off without that stop, it must replay its WAL at the next start (crash recovery)",
    async () => {
      const { cluster, server } = await seeded("hard");
      const exited = new Promise((resolve) => server.process.once("exit", resolve));
      server.process.kill("SIGKILL");
      await exited;
      expect(clusterState(cluster.data)).toBe("in production");
      const t1 = performance.now();
      const again = await startCluster(cluster, postgresConfFor(db), pgHbaFor(growth), "hard-again");
      servers.push(again);
      const startMs = performance.now() - t1;
      expect(again.log()).toContain("database system was interrupted");
      expect(await count(again)).toBe(ROWS);
      process.stdout.write(`start after a hard stop of ${ROWS} rows: ${startMs.toFixed(0)} ms, with crash recovery\n`);
    },
    SLOW,
  );
});
