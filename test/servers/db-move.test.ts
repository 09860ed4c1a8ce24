import { performance } from "node:perf_hooks";
import { pgHbaFor, postgresConfFor } from "../../model/render/service-configs";
import { planFor } from "../helpers";
import { createAppRole, initCluster, startCluster, type PostgresServer } from "./postgres";

/**
 * growth -> scale moves the pgdata volume from the app server to the db
 * server: the release step stops the old database (`docker stop --time 60`,
 * which sends the postgres image's stop signal, SIGINT: a fast shutdown that
 * checkpoints), the volume moves, and the db server's deploy starts
 * PostgreSQL on the same data with its own, larger settings. Here the volume
 * is one data directory and both servers are processes on 127.0.0.1.
 */
const growth = planFor("growth");
const scale = planFor("scale");
const oldDb = growth.servers.find((s) => s.name === "app")!.services.find((s) => s.name === "db")!;
const newDb = scale.servers.find((s) => s.name === "db")!.services.find((s) => s.name === "db")!;

// ORION_DB_MOVE_EVENTS=4500000 seeds about 1 GB, to measure the pause at the guide's size (not in CI).
const SEED = { stores: 1_000, orders: 60_000, events: Number(process.env.ORION_DB_MOVE_EVENTS ?? 50_000) };

let oldServer: PostgresServer;
let newServer: PostgresServer | undefined;

afterAll(async () => {
  await oldServer?.stop();
  await newServer?.stop();
});

describe("moving the database from the app server to the db server (growth -> scale)", () => {
  it("loses no committed row while writes go on, and pauses writes briefly", async () => {
    const cluster = initCluster();
    oldServer = await startCluster(cluster, postgresConfFor(oldDb), pgHbaFor(growth), "growth");
    await createAppRole(oldServer);
    const seed = oldServer.client();
    await seed.connect();
    await seed.query("CREATE TABLE stores (id int PRIMARY KEY, name text NOT NULL)");
    await seed.query(
      "CREATE TABLE orders (id bigint PRIMARY KEY, store_id int REFERENCES stores, total_cents int NOT NULL)",
    );
    await seed.query("CREATE TABLE events (id bigserial PRIMARY KEY, store_id int, payload text, written_by text)");
    await seed.query(`INSERT INTO stores SELECT g, 'store ' || g FROM generate_series(1, ${SEED.stores}) g`);
    await seed.query(
      `INSERT INTO orders SELECT g, 1 + g % ${SEED.stores}, g % 10000 FROM generate_series(1, ${SEED.orders}) g`,
    );
    await seed.query(
      `INSERT INTO events (store_id, payload, written_by) SELECT 1 + g % ${SEED.stores}, repeat('x', 200), 'seed' FROM generate_series(1, ${SEED.events}) g`,
    );
    const sizeMb = Number((await seed.query("SELECT pg_database_size('orion') / 1048576 AS mb")).rows[0].mb);
    await seed.end();

    // The app keeps writing: one row per transaction, each acknowledged id recorded.
    const acknowledged: number[] = [];
    let target: PostgresServer = oldServer;
    let lastOldCommit = 0;
    let firstNewCommit = 0;
    let writing = true;
    // A server that shuts down sends idle clients an error event; the app's pool would drop that connection.
    const quiet = (c: ReturnType<PostgresServer["client"]>) => c.on("error", () => undefined);
    const writer = (async () => {
      let client: ReturnType<PostgresServer["client"]> | undefined;
      let connectedTo: PostgresServer | undefined;
      let sequence = 0;
      while (writing || firstNewCommit === 0) {
        try {
          if (!client || connectedTo !== target) {
            await client?.end().catch(() => undefined);
            client = undefined;
            const next = quiet(target.client());
            connectedTo = target;
            await next.connect();
            client = next;
          }
          const { rows } = await client.query(
            "INSERT INTO events (store_id, payload, written_by) VALUES ($1, $2, 'app') RETURNING id",
            [1 + (sequence % SEED.stores), `during the move ${sequence}`],
          );
          acknowledged.push(Number(rows[0].id));
          sequence += 1;
          if (connectedTo === oldServer) lastOldCommit = performance.now();
          else if (firstNewCommit === 0) firstNewCommit = performance.now();
        } catch {
          // The old server is going away or the new one is not up yet: drop the connection and retry, as the app's pool would.
          await client?.end().catch(() => undefined);
          client = undefined;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      await client?.end().catch(() => undefined);
    })();

    // Writes going on before the move: a second's worth, or more than ten on a busy machine, where a second holds fewer.
    const since = Date.now();
    while (Date.now() - since < 1000 || acknowledged.length <= 10) await new Promise((r) => setTimeout(r, 50));
    const beforeMove = acknowledged.length;
    // Release on the app server, then start on the db server with the same data.
    await oldServer.stop();
    newServer = await startCluster(cluster, postgresConfFor(newDb), pgHbaFor(scale), "scale");
    target = newServer;
    await new Promise((r) => setTimeout(r, 1000));
    writing = false;
    await writer;

    const check = newServer.client();
    await check.connect();
    const counts = (
      await check.query(
        "SELECT (SELECT count(*) FROM stores) AS stores, (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM events WHERE written_by = 'seed') AS seeded, (SELECT count(*) FROM events WHERE written_by = 'app') AS app",
      )
    ).rows[0];
    const missing = (
      await check.query("SELECT x FROM unnest($1::bigint[]) x WHERE NOT EXISTS (SELECT 1 FROM events WHERE id = x)", [
        acknowledged,
      ])
    ).rows;
    const sharedBuffers = (await check.query("SHOW shared_buffers")).rows[0].shared_buffers;
    await check.end();

    const pauseMs = Math.round(firstNewCommit - lastOldCommit);
    expect(beforeMove).toBeGreaterThan(10);
    expect(Number(counts.stores) + Number(counts.orders) + Number(counts.seeded)).toBe(
      SEED.stores + SEED.orders + SEED.events,
    );
    expect(missing).toEqual([]);
    expect(Number(counts.app)).toBe(acknowledged.length);
    expect(sharedBuffers).toBe("1GB");
    expect(pauseMs).toBeLessThan(60_000);
    process.stdout.write(
      `Database move: ${SEED.stores + SEED.orders + SEED.events} seeded rows (${sizeMb} MB) and ${acknowledged.length} rows written during the move, none lost; ` +
        `writes paused ${pauseMs} ms (stop, restart on the moved data; Hetzner's detach and attach come on top)\n`,
    );
  }, 900_000);
});
