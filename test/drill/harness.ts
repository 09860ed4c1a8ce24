import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../../model/config";
import { plan, type Plan, type PlannedServer } from "../../model/plan";
import { PGBACKREST_SECRET_ENV } from "../../model/render/pgbackrest";
import { pgHbaFor, postgresConfFor } from "../../model/render/service-configs";
import { renderServerFiles } from "../../model/render/server-files";
import { createAppRole, initCluster, startCluster, type PostgresServer } from "../servers/postgres";
import {
  freePort,
  POSTGRES_BIN,
  requireBinary,
  serviceDir,
  startProcess,
  waitFor,
  type RunningServer,
} from "../servers/support";

/**
 * The restore drill's stand-ins for a database server and Object Storage,
 * all on loopback: PostgreSQL 15 and pgBackRest from Debian, and s3rver over
 * HTTPS with a certificate from a CA made for the run. PostgreSQL, pgBackRest
 * and the scripts use the files the deploy writes (postgresql.conf,
 * pgbackrest.conf, config/pgbackrest/bin/*); only ports and paths move, through
 * pgBackRest's PGBACKREST_* variables, as the tests of the other servers move them.
 *
 * A drill's steps talk to a `DrillTarget`; the test bed can offer the same
 * steps against the deployed stack later (docker compose run instead of a
 * local process).
 */
export const PGBACKREST = "/usr/bin/pgbackrest";
/** s3rver's built-in credentials; the drill's passphrase is its own. */
const S3_KEYS = { accessKey: "S3RVER", secretKey: "S3RVER", passphrase: "drill-passphrase-7c1e-not-a-secret" };

export interface ScriptResult {
  status: number;
  output: string;
}

function owner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** Runs a command as the service user without blocking this process (s3rver and PostgreSQL keep working meanwhile). */
export function runAsync(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30 * 60_000,
): Promise<ScriptResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, cwd: "/tmp", stdio: ["ignore", "pipe", "pipe"], ...(owner() ?? {}) });
    let output = "";
    child.stdout.on("data", (d) => (output += String(d)));
    child.stderr.on("data", (d) => (output += String(d)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? (signal ? 128 : -1), output });
    });
  });
}

/** A CA and a certificate for localhost, made with openssl for this run only. */
function makeCertificates(dir: string): { caPem: string; key: string; cert: string } {
  const sh = (script: string) => {
    const r = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8" });
    if (r.error || r.status !== 0) throw new Error(`openssl failed (.ci/run installs openssl): ${r.stderr ?? r.error}`);
  };
  sh(
    [
      "set -e",
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=orion-drill-ca 2>/dev/null",
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout s3.key -out s3.csr -subj /CN=localhost 2>/dev/null",
      "printf 'subjectAltName=DNS:localhost\\n' > s3.ext",
      "openssl x509 -req -in s3.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out s3.pem -days 2 -extfile s3.ext 2>/dev/null",
    ].join("\n"),
  );
  return { caPem: readFileSync(join(dir, "ca.pem"), "utf8"), key: join(dir, "s3.key"), cert: join(dir, "s3.pem") };
}

/** s3rver in its own process, so a long upload never waits on this one's event loop. */
export async function startS3(
  dir: string,
  bucket: string,
  tls: { key: string; cert: string },
): Promise<RunningServer & { storage: string }> {
  const storage = join(dir, "s3");
  mkdirSync(storage, { recursive: true });
  const port = await freePort();
  const s3rver = require.resolve("s3rver");
  const program = `
    const S3rver = require(${JSON.stringify(s3rver)});
    const fs = require("fs");
    new S3rver({ port: ${port}, address: "127.0.0.1", silent: true, directory: ${JSON.stringify(storage)},
      key: fs.readFileSync(${JSON.stringify(tls.key)}), cert: fs.readFileSync(${JSON.stringify(tls.cert)}),
      configureBuckets: [{ name: ${JSON.stringify(bucket)} }] }).run().then(() => console.log("s3rver up"));`;
  const server = startProcess(process.execPath, ["-e", program], { serviceUser: false, port, dir });
  await waitFor("s3rver", () => server.log().includes("s3rver up"), 30_000, server);
  return { ...server, storage };
}

export interface DrillSetup {
  plan: Plan;
  server: PlannedServer;
  dir: string;
  s3: RunningServer & { storage: string };
  /** The environment pgBackRest, the scripts and PostgreSQL get: paths and ports moved, secrets from the "env file". */
  env: (data: string, port: number) => NodeJS.ProcessEnv;
  files: Record<string, string>;
  bin: string;
}

/**
 * Plans the launch stage with a bucket on the local S3 server, writes the
 * files the deploy would write, and starts the S3 server.
 */
export async function setUpDrill(extraConfig: Record<string, unknown> = {}): Promise<DrillSetup> {
  requireBinary(PGBACKREST);
  requireBinary(join(POSTGRES_BIN, "postgres"));
  requireBinary("/usr/bin/jq");
  const dir = serviceDir("orion-drill-");
  const tls = makeCertificates(dir);
  const bucket = "orion-drill";
  const s3 = await startS3(dir, bucket, tls);
  const planned = plan(
    parseConfig({
      stage: "launch",
      backupBucket: bucket,
      backupEndpoint: `localhost:${s3.port}`,
      backupCaCert: tls.caPem,
      ...extraConfig,
    }),
  );
  const server = planned.servers.find((s) => s.services.some((x) => x.name === "db"))!;
  const files = renderServerFiles(planned, server);
  const who = owner();
  for (const [path, content] of Object.entries(files).filter(([p]) => p.startsWith("config/pgbackrest/"))) {
    const target = join(dir, path);
    mkdirSync(join(target, ".."), { recursive: true });
    writeFileSync(target, content);
  }
  if (who) spawnSync("chown", ["-R", `${who.uid}:${who.gid}`, join(dir, "config")]);
  const metrics = join(dir, "metrics");
  mkdirSync(metrics);
  if (who) chownSync(metrics, who.uid, who.gid);
  chmodSync(metrics, 0o755);
  const env = (data: string, port: number): NodeJS.ProcessEnv => ({
    PATH: `${POSTGRES_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    LANG: "C.UTF-8",
    TZ: "UTC",
    HOME: dir,
    // Ports and paths, as the container's mounts would place them.
    PGBACKREST_CONFIG: join(dir, "config/pgbackrest/pgbackrest.conf"),
    PGBACKREST_PG1_PATH: data,
    ...(port ? { PGBACKREST_PG1_PORT: String(port), PGPORT: String(port) } : {}),
    PGBACKREST_PG1_SOCKET_PATH: join(data, ".."),
    PGBACKREST_LOCK_PATH: join(dir, "lock"),
    PGBACKREST_REPO1_STORAGE_CA_FILE: join(dir, "config/pgbackrest/ca.pem"),
    ORION_METRICS_DIR: metrics,
    PGHOST: join(data, ".."),
    PGUSER: "orion",
    PGDATABASE: "orion",
    // What the env file gives the containers.
    [PGBACKREST_SECRET_ENV.accessKey]: S3_KEYS.accessKey,
    [PGBACKREST_SECRET_ENV.secretKey]: S3_KEYS.secretKey,
    [PGBACKREST_SECRET_ENV.passphrase]: S3_KEYS.passphrase,
  });
  return { plan: planned, server, dir, s3, env, files, bin: join(dir, "config/pgbackrest/bin") };
}

/** A database server of the drill: the cluster directory is its volume; its data directory is `<dir>/data`. */
export interface DrillDatabase {
  cluster: { dir: string; data: string };
  postgres?: PostgresServer;
  port: number;
}

export async function createDatabase(setup: DrillSetup): Promise<DrillDatabase> {
  const cluster = initCluster();
  const db: DrillDatabase = { cluster, port: 0 };
  await startDatabase(setup, db);
  await createAppRole(db.postgres!);
  return db;
}

/** Starts PostgreSQL on the drill's data directory with the generated postgresql.conf, as the db container does. */
export async function startDatabase(setup: DrillSetup, db: DrillDatabase): Promise<PostgresServer> {
  const dbService = setup.server.services.find((s) => s.name === "db")!;
  // startCluster picks a free port; the archive and restore commands never connect, and the scripts get it from scriptEnv.
  db.postgres = await startCluster(
    db.cluster,
    postgresConfFor(dbService),
    pgHbaFor(setup.plan),
    "db",
    setup.env(db.cluster.data, 0),
  );
  db.port = db.postgres.port;
  return db.postgres;
}

export function scriptEnv(setup: DrillSetup, db: DrillDatabase, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...setup.env(db.cluster.data, db.port), ...extra };
}

export function runScript(
  setup: DrillSetup,
  db: DrillDatabase,
  script: "orion-backup" | "orion-restore" | "orion-guard",
  args: string[] = [],
  extra: NodeJS.ProcessEnv = {},
): Promise<ScriptResult> {
  return runAsync("bash", [join(setup.bin, script), ...args], scriptEnv(setup, db, extra));
}

export function pgbackrest(setup: DrillSetup, db: DrillDatabase, args: string[]): Promise<ScriptResult> {
  return runAsync(PGBACKREST, [`--stanza=${setup.plan.backup.stanza}`, ...args], scriptEnv(setup, db));
}

export interface BackupInfo {
  label: string;
  type: string;
  timestamp: { start: number; stop: number };
  info: { size: number; repository: { size: number } };
}

export async function backups(setup: DrillSetup, db: DrillDatabase): Promise<BackupInfo[]> {
  const r = await pgbackrest(setup, db, ["--output=json", "info"]);
  if (r.status !== 0) throw new Error(`pgbackrest info failed: ${r.output}`);
  return JSON.parse(r.output)[0].backup;
}

function processesIn(dir: string): boolean {
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) return true;
    } catch {
      // gone, or not ours to read
    }
  }
  return false;
}

/** The volume is lost: PostgreSQL dies without a shutdown checkpoint and its data directory is gone. */
export async function destroyVolume(db: DrillDatabase): Promise<void> {
  const server = db.postgres!;
  const exited = new Promise((resolve) => server.process.once("exit", resolve));
  server.process.kill("SIGKILL");
  await exited;
  // The postmaster's children notice its death and exit; wait until none works in the directory.
  await waitFor("PostgreSQL's children to exit", () => !processesIn(db.cluster.data), 30_000);
  spawnSync("rm", ["-rf", db.cluster.data]);
  db.postgres = undefined;
}

/** Starts PostgreSQL on a restored directory and waits until recovery has ended and it accepts writes. */
export async function startRestored(
  setup: DrillSetup,
  db: DrillDatabase,
  timeoutMs = 30 * 60_000,
): Promise<PostgresServer> {
  const server = await startDatabase(setup, db);
  await waitFor(
    "recovery to end (promotion)",
    async () => {
      const c = server.superuser();
      await c.connect();
      const { rows } = await c.query("SELECT pg_is_in_recovery() AS r");
      await c.end();
      return rows[0].r === false;
    },
    timeoutMs,
    server,
  );
  return server;
}
