import { Client } from "pg";
import { renameSync } from "node:fs";
import { join } from "node:path";
import { postgresSettings } from "../../model/postgres";
import { pgbouncerIniFor, pgHbaFor, postgresConfFor } from "../../model/render/service-configs";
import { planFor } from "../helpers";
import { startPostgres, TEST_DB_PASSWORD } from "./postgres";
import { shippedUserlist } from "./shipped";
import {
  freePort,
  overrideSettings,
  PGBOUNCER,
  requireBinary,
  startProcess,
  waitFor,
  writeServiceFile,
  type RunningServer,
} from "./support";

/** The growth stage: the guide's PgBouncer (transaction pooling, 100 clients, pool 20) in front of PostgreSQL 15. */
const growth = planFor("growth");
const app = growth.servers.find((s) => s.name === "app")!;
const db = app.services.find((s) => s.name === "db")!;
const pool = app.services.find((s) => s.name === "pgbouncer")!.pgbouncer!;

let postgres: Awaited<ReturnType<typeof startPostgres>>;
let pgbouncer: RunningServer;

beforeAll(async () => {
  postgres = await startPostgres(postgresConfFor(db), pgHbaFor(growth));
  requireBinary(PGBOUNCER);
  const port = await freePort();
  const ini = overrideSettings(pgbouncerIniFor(growth, app), {
    listen_addr: "127.0.0.1",
    listen_port: port,
    auth_file: `${postgres.dir}/userlist.txt`,
  })
    .replace(/^orion = host=db port=5432 /m, `orion = host=127.0.0.1 port=${postgres.port} `)
    .concat(`unix_socket_dir = ${postgres.dir}\n`);
  // The userlist the deploy writes from the env file, not one of the test's own.
  writeServiceFile(postgres.dir, "userlist.txt", shippedUserlist(growth, app, TEST_DB_PASSWORD));
  const iniPath = writeServiceFile(postgres.dir, "pgbouncer.ini", ini);
  pgbouncer = startProcess(PGBOUNCER, [iniPath], { serviceUser: true, port, dir: postgres.dir });
  await waitFor(
    "PgBouncer",
    async () => {
      const c = client();
      await c.connect();
      await c.end();
      return true;
    },
    30_000,
    pgbouncer,
  );
}, 120_000);

afterAll(async () => {
  await pgbouncer?.stop();
  await postgres?.stop();
});

const client = () =>
  new Client({ host: "127.0.0.1", port: pgbouncer.port, user: "orion", password: TEST_DB_PASSWORD, database: "orion" });

describe("PostgreSQL 15 with the generated growth settings", () => {
  it("reports the values derived from the db container's 1 GB limit", async () => {
    const expected = postgresSettings(db.memoryLimitMb, db.postgres!.maxConnections);
    const c = postgres.superuser();
    await c.connect();
    const show = async (name: string) => (await c.query(`SHOW ${name}`)).rows[0][name];
    const seen = {
      max_connections: await show("max_connections"),
      shared_buffers: await show("shared_buffers"),
      effective_cache_size: await show("effective_cache_size"),
      work_mem: await show("work_mem"),
      maintenance_work_mem: await show("maintenance_work_mem"),
      password_encryption: await show("password_encryption"),
      wal_level: await show("wal_level"),
    };
    await c.end();
    expect(seen).toEqual({
      max_connections: String(expected.maxConnections),
      shared_buffers: `${expected.sharedBuffersMb}MB`,
      effective_cache_size: `${expected.effectiveCacheSizeMb}MB`,
      work_mem: `${expected.workMemMb}MB`,
      maintenance_work_mem: `${expected.maintenanceWorkMemMb}MB`,
      password_encryption: "scram-sha-256",
      wal_level: "replica",
    });
    expect(seen).toMatchObject({ max_connections: "28", shared_buffers: "256MB", work_mem: "12MB" });
  });
});

describe("the generated PgBouncer configuration under 100 concurrent clients", () => {
  it("serves all 100 through at most 20 PostgreSQL connections", async () => {
    const clients = Array.from({ length: pool.maxClientConn }, client);
    await Promise.all(clients.map((c) => c.connect()));

    // Watch PostgreSQL from its socket while the clients work: what PgBouncer opens comes over TCP.
    const watcher = postgres.superuser();
    await watcher.connect();
    let maxServerConnections = 0;
    let working = true;
    const watching = (async () => {
      while (working) {
        const { rows } = await watcher.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'orion' AND usename = 'orion' AND client_addr IS NOT NULL",
        );
        maxServerConnections = Math.max(maxServerConnections, rows[0].n);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const results = await Promise.all(
      clients.map(async (c, i) => {
        let sum = 0;
        for (let round = 0; round < 5; round++) {
          const { rows } = await c.query("SELECT pg_sleep(0.02), $1::int + $2::int AS n", [i, round]);
          sum += rows[0].n;
        }
        return sum;
      }),
    );
    working = false;
    await watching;

    // A 101st client is over max_client_conn 100 and is turned away, not queued without limit.
    const extra = client();
    await expect(extra.connect()).rejects.toThrow(/no more connections allowed/);
    await Promise.all(clients.map((c) => c.end()));
    await watcher.end();

    expect(results).toEqual(clients.map((_, i) => 5 * i + 10));
    expect(maxServerConnections).toBeGreaterThan(1);
    expect(maxServerConnections).toBeLessThanOrEqual(pool.defaultPoolSize);
    process.stdout.write(
      `PgBouncer: ${clients.length} clients, at most ${maxServerConnections} PostgreSQL connections seen (pool ${pool.defaultPoolSize})\n`,
    );
  });

  it("shows one pool of at most 20 server connections in SHOW POOLS", async () => {
    const admin = new Client({
      host: "127.0.0.1",
      port: pgbouncer.port,
      user: "orion",
      password: TEST_DB_PASSWORD,
      database: "pgbouncer",
    });
    await admin.connect();
    const pools = (await admin.query("SHOW POOLS")).rows as Record<string, string>[];
    const config = (await admin.query("SHOW CONFIG")).rows as { key: string; value: string }[];
    await admin.end();
    const setting = (key: string) => config.find((r) => r.key === key)?.value;
    expect({
      pool_mode: setting("pool_mode"),
      max_client_conn: setting("max_client_conn"),
      default_pool_size: setting("default_pool_size"),
    }).toEqual({ pool_mode: "transaction", max_client_conn: "100", default_pool_size: "20" });
    const orion = pools.filter((p) => p.database === "orion");
    expect(orion).toHaveLength(1);
    const serverConnections = ["sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login"].reduce(
      (sum, k) => sum + Number(orion[0][k]),
      0,
    );
    expect(serverConnections).toBeGreaterThan(0);
    expect(serverConnections).toBeLessThanOrEqual(pool.defaultPoolSize);
  });
});

describe("a new orion:dbPassword on the growth stage: PgBouncer reloads its userlist, as release.sh does after ALTER ROLE", () => {
  it("keeps its clients, logs in to PostgreSQL with the new password and refuses the old one, without a restart", async () => {
    const rotated = "rotated-db-password-b71c";
    const before = pgbouncer.process.pid;
    const held = client();
    await held.connect();
    const superuser = postgres.superuser();
    await superuser.connect();
    try {
      await superuser.query(`ALTER ROLE orion PASSWORD '${rotated}'`);
      // The deploy writes the new userlist and moves it into place (a new file, as `mv` leaves it); release.sh sends SIGHUP.
      writeServiceFile(postgres.dir, "userlist.txt.new", shippedUserlist(growth, app, rotated));
      renameSync(join(postgres.dir, "userlist.txt.new"), join(postgres.dir, "userlist.txt"));
      pgbouncer.process.kill("SIGHUP");
      // Every server connection PgBouncer holds logged in with the old password: end them, so that the next query needs a new login.
      await superuser.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'orion' AND client_addr IS NOT NULL",
      );
      const fresh = new Client({
        host: "127.0.0.1",
        port: pgbouncer.port,
        user: "orion",
        password: rotated,
        database: "orion",
      });
      await waitFor("PgBouncer to accept the new password", async () => {
        const c = new Client({
          host: "127.0.0.1",
          port: pgbouncer.port,
          user: "orion",
          password: rotated,
          database: "orion",
        });
        await c.connect();
        await c.end();
        return true;
      });
      await fresh.connect();
      const answers = [(await fresh.query("SELECT 1 AS n")).rows[0].n, (await held.query("SELECT 2 AS n")).rows[0].n];
      await fresh.end();
      const stale = client();
      const refused = await stale.connect().then(
        () => stale.end().then(() => "connected"),
        (error: Error) => error.message,
      );
      expect(answers).toEqual([1, 2]);
      expect(refused).toMatch(/password authentication failed|SASL authentication failed/);
      expect(pgbouncer.process.pid).toBe(before);
      expect(pgbouncer.process.exitCode).toBeNull();
    } finally {
      await held.end().catch(() => undefined);
      await superuser.end();
    }
  });
});
