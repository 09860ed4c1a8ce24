import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "pg";
import { privateIp } from "../../model/addresses";
import { renderEnvFile } from "../../model/render/server-files";
import { BACKEND_SUBNET } from "../../model/render/service-configs";
import { planFor, server } from "../helpers";
import { TEST_DB_PASSWORD } from "./postgres";
import { deployedFolder } from "./shipped";
import {
  PGBOUNCER,
  POSTGRES_BIN,
  requireBinary,
  runAsServiceUser,
  serviceDir,
  startProcess,
  waitFor,
  writeServiceFile,
  type RunningServer,
} from "./support";

/**
 * pg_hba.conf and PgBouncer's userlist as they ship, on the addresses of the
 * plan. The scale stage's db server runs in a network namespace of its own
 * with its private IP (and the compose backend's address for the db
 * container); the app server and a stranger on the private network each get a
 * namespace joined to it by a veth pair. No line is added to pg_hba.conf;
 * only file paths, and PgBouncer's `host=db` (compose's DNS name), change.
 */
const scale = planFor("scale");
const app = server(scale, "app");
const db = server(scale, "db");
const DB_IP = privateIp(db);
const APP_IP = privateIp(app);
const STRANGER_IP = "10.0.1.99";
/** The db container's address on the compose backend (the first host of BACKEND_SUBNET after the gateway). */
const DB_CONTAINER_IP = BACKEND_SUBNET.replace(/0\/24$/, "2");

const tag = `${process.pid % 100000}`;
const NS = { db: `orion-hba-db-${tag}`, app: `orion-hba-app-${tag}`, stranger: `orion-hba-x-${tag}` };

function ip(...args: string[]): void {
  const result = spawnSync("ip", args, { encoding: "utf8" });
  if (result.error) throw new Error(`ip is not installed; .ci/run installs iproute2 (${result.error.message})`);
  if (result.status !== 0) throw new Error(`ip ${args.join(" ")}: ${result.stderr}`);
}

/** A client namespace joined to the db namespace by a veth pair, with one /32 address and a route each way. */
function joinToDb(ns: string, address: string, link: string): void {
  ip("netns", "add", ns);
  ip("-n", ns, "link", "set", "lo", "up");
  ip("link", "add", "name", `${link}d`, "netns", NS.db, "type", "veth", "peer", "name", `${link}c`, "netns", ns);
  ip("-n", NS.db, "link", "set", `${link}d`, "up");
  ip("-n", ns, "link", "set", `${link}c`, "up");
  ip("-n", ns, "addr", "add", `${address}/32`, "dev", `${link}c`);
  ip("-n", ns, "route", "add", `${DB_IP}/32`, "dev", `${link}c`, "src", address);
  ip("-n", NS.db, "route", "add", `${address}/32`, "dev", `${link}d`, "src", DB_IP);
}

/** A server process in the db namespace as the postgres user; `ip netns exec` and `setpriv` exec, so the PID is the server's. */
function startInDb(command: string, args: string[], dir: string, port: number): RunningServer {
  return startProcess(
    "ip",
    ["netns", "exec", NS.db, "setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", command, ...args],
    { serviceUser: false, port, dir },
  );
}

/** psql run inside a namespace with a connection URL, as the app would connect from that server. */
function psqlFrom(ns: string, url: string, sql: string): { status: number; output: string } {
  const result = spawnSync("ip", ["netns", "exec", ns, join(POSTGRES_BIN, "psql"), url, "-tAXc", sql], {
    encoding: "utf8",
    env: { ...process.env, PGCONNECT_TIMEOUT: "10" },
    timeout: 60_000,
  });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}`.trim() };
}

/** The app server's env file: its DATABASE_URL (PgBouncer) and DATABASE_URL_DIRECT, as the deploy writes them. */
const appEnv = Object.fromEntries(
  renderEnvFile(scale, app, { dbPassword: TEST_DB_PASSWORD, flowerPassword: "f", grafanaPassword: "g" })
    .trim()
    .split("\n")
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 2, -1)]),
);

let postgres: RunningServer;
let pgbouncer: RunningServer;
let dir: string;

beforeAll(async () => {
  requireBinary(join(POSTGRES_BIN, "postgres"));
  requireBinary(PGBOUNCER);
  ip("netns", "add", NS.db);
  ip("-n", NS.db, "link", "set", "lo", "up");
  ip("-n", NS.db, "addr", "add", `${DB_IP}/32`, "dev", "lo");
  ip("-n", NS.db, "addr", "add", `${DB_CONTAINER_IP}/32`, "dev", "lo");
  joinToDb(NS.app, APP_IP, `oa${tag}`.slice(0, 12));
  joinToDb(NS.stranger, STRANGER_IP, `ox${tag}`.slice(0, 12));

  dir = serviceDir("orion-access-");
  const data = join(dir, "data");
  const init = runAsServiceUser(join(POSTGRES_BIN, "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth-local=trust",
    "-E",
    "UTF8",
  ]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.output}`);

  // The db server's folder after its deploy: the generated configs, and the userlist filled in from the env file.
  const deployed = deployedFolder(scale, db, TEST_DB_PASSWORD);
  const read = (path: string) => readFileSync(join(deployed, path), "utf8");
  const conf = writeServiceFile(dir, "postgresql.conf", read("config/postgres/postgresql.conf"));
  const hba = writeServiceFile(dir, "pg_hba.conf", read("config/postgres/pg_hba.conf"));
  postgres = startInDb(
    join(POSTGRES_BIN, "postgres"),
    ["-D", data, "-c", `config_file=${conf}`, "-c", `hba_file=${hba}`, "-c", `unix_socket_directories=${dir}`],
    dir,
    5432,
  );
  const superuser = () => new Client({ host: dir, port: 5432, user: "postgres", database: "postgres" });
  await waitFor(
    "PostgreSQL in the db namespace",
    async () => {
      const c = superuser();
      await c.connect();
      await c.end();
      return true;
    },
    60_000,
    postgres,
  );
  const c = superuser();
  await c.connect();
  await c.query(`CREATE ROLE orion LOGIN SUPERUSER PASSWORD '${TEST_DB_PASSWORD}'`);
  await c.query("CREATE DATABASE orion OWNER orion");
  await c.end();

  const ini = read("config/pgbouncer/pgbouncer.ini")
    .replace(/^auth_file = .*$/m, `auth_file = ${join(dir, "userlist.txt")}`)
    .replace(/host=db /, `host=${DB_CONTAINER_IP} `)
    .concat(`unix_socket_dir = ${dir}\n`);
  writeServiceFile(dir, "userlist.txt", read("config/pgbouncer/userlist.txt"));
  const iniPath = writeServiceFile(dir, "pgbouncer.ini", ini);
  pgbouncer = startInDb(PGBOUNCER, [iniPath], dir, 6432);
  await waitFor(
    "PgBouncer in the db namespace",
    () => psqlFrom(NS.app, appEnv.DATABASE_URL, "SELECT 1").output === "1",
    30_000,
    pgbouncer,
  );
}, 180_000);

afterAll(async () => {
  await pgbouncer?.stop();
  await postgres?.stop();
  for (const ns of Object.values(NS)) spawnSync("ip", ["netns", "delete", ns]);
});

describe("the scale stage's pg_hba.conf and PgBouncer userlist, as shipped, on the plan's addresses", () => {
  it("let the app server in directly with DATABASE_URL_DIRECT, seen from its private IP", () => {
    expect(appEnv.DATABASE_URL_DIRECT).toBe(`postgresql://orion:${TEST_DB_PASSWORD}@${DB_IP}:5432/orion`);
    expect(psqlFrom(NS.app, appEnv.DATABASE_URL_DIRECT, "SELECT host(inet_client_addr())")).toEqual({
      status: 0,
      output: APP_IP,
    });
  });

  it("let the app server in through PgBouncer with DATABASE_URL, which reaches PostgreSQL from the compose backend", () => {
    expect(appEnv.DATABASE_URL).toBe(`postgresql://orion:${TEST_DB_PASSWORD}@${DB_IP}:6432/orion`);
    expect(psqlFrom(NS.app, appEnv.DATABASE_URL, "SELECT host(inet_client_addr())")).toEqual({
      status: 0,
      output: DB_CONTAINER_IP,
    });
  });

  it("turn away a wrong password at PgBouncer: the userlist is checked, not bypassed", () => {
    const { status, output } = psqlFrom(
      NS.app,
      appEnv.DATABASE_URL.replace(TEST_DB_PASSWORD, "not-the-password"),
      "SELECT 1",
    );
    expect(status).not.toBe(0);
    expect(output).toContain("FATAL:  SASL authentication failed");
  });

  it("refuse an address of the private network that the plan does not name", () => {
    const { status, output } = psqlFrom(NS.stranger, appEnv.DATABASE_URL_DIRECT, "SELECT 1");
    expect(status).not.toBe(0);
    expect(output).toContain(`no pg_hba.conf entry for host "${STRANGER_IP}"`);
  });
});
