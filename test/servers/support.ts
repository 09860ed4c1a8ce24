import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Real servers for the tests, each on 127.0.0.1, its own free port and its own
 * temporary directory. PostgreSQL and PgBouncer refuse to run as root, so as
 * root they run as the `postgres` user. A missing binary fails the test:
 * .ci/run installs them.
 */
export const POSTGRES_BIN = "/usr/lib/postgresql/15/bin";
export const PGBOUNCER = "/usr/sbin/pgbouncer";
export const REDIS_SERVER = "/usr/bin/redis-server";

export function requireBinary(path: string): string {
  if (!existsSync(path))
    throw new Error(`${path} is missing; .ci/run installs it (postgresql-15, pgbouncer, redis-server)`);
  return path;
}

const asRoot = process.getuid?.() === 0;

function serviceOwner(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** As root, spawn straight as the service user (no runuser in between, so signals reach the server itself). */
function serviceUserOptions(): { uid?: number; gid?: number } {
  return asRoot ? serviceOwner() : {};
}

/** A temporary directory the service user can write to. */
export function serviceDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (asRoot) chownSync(dir, serviceOwner().uid, serviceOwner().gid);
  chmodSync(dir, 0o700);
  return dir;
}

export function writeServiceFile(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  if (asRoot) chownSync(path, serviceOwner().uid, serviceOwner().gid);
  return path;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function runAsServiceUser(
  command: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): { status: number; output: string } {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    timeout: 120_000,
    cwd: tmpdir(),
    ...(env ? { env } : {}),
    ...serviceUserOptions(),
  });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

export interface RunningServer {
  port: number;
  dir: string;
  process: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

export function startProcess(
  command: string,
  args: string[],
  options: { serviceUser: boolean; port: number; dir: string; env?: NodeJS.ProcessEnv },
): RunningServer {
  const child = spawn(command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: tmpdir(),
    ...(options.env ? { env: options.env } : {}),
    ...(options.serviceUser ? serviceUserOptions() : {}),
  });
  let log = "";
  child.stdout.on("data", (d) => (log += String(d)));
  child.stderr.on("data", (d) => (log += String(d)));
  return {
    port: options.port,
    dir: options.dir,
    process: child,
    log: () => log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGINT");
      // As `docker stop --time 60` does: the stop signal (SIGINT for PostgreSQL: a fast, clean shutdown), then a kill after 60 s.
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
  server?: RunningServer,
): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (server && server.process.exitCode !== null) throw new Error(`${what}: the process exited: ${server.log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not come up in ${timeoutMs} ms${server ? `: ${server.log()}` : ""}`);
}

/** Replaces `key = value` lines of a generated config (a test must move ports and paths, nothing else). */
export function overrideSettings(text: string, overrides: Record<string, string | number>): string {
  let out = text;
  for (const [key, value] of Object.entries(overrides)) {
    const line = new RegExp(`^${key} = .*$`, "m");
    if (!line.test(out)) throw new Error(`the generated config has no ${key}`);
    out = out.replace(line, `${key} = ${value}`);
  }
  return out;
}
