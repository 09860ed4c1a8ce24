import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Runs a tool the tests need; a missing tool is a failure, never a skip (.ci/run installs them). */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; input?: string } = {},
): { status: number; output: string } {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    input: options.input,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (result.error && (result.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error(`${command} is not installed; .ci/run installs it (see README, Tests)`);
  }
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** Writes files (path -> content) into a new temporary directory and returns it. */
export function writeTree(files: Record<string, string>, prefix = "orion-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/**
 * Runs a line of a deploy script in `dir` as a host whose Docker Engine
 * speaks API `apiVersion` would: `docker version` answers with it (the only
 * docker call such a line may make; any other fails the test).
 */
export function runAsEngine(apiVersion: string, line: string, dir: string): { status: number; output: string } {
  const bin = writeTree(
    {
      docker: `#!/bin/sh\nif [ "$1" = version ]; then echo ${apiVersion}; exit 0; fi\necho "unexpected: docker $*" >&2; exit 99\n`,
    },
    "orion-engine-",
  );
  chmodSync(join(bin, "docker"), 0o755);
  const result = spawnSync("bash", ["-eu", "-c", line], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/**
 * Values for every `${...}` in the compose files, as the deploy's env file provides them
 * (`docker compose config` and dclint read them from `.env` beside the compose file).
 */
export const COMPOSE_ENV = [
  "DB_PASSWORD",
  "DATABASE_URL",
  "DATABASE_URL_DIRECT",
  "DATABASE_URL_READONLY",
  "FLOWER_BASIC_AUTH",
  "GRAFANA_ADMIN_PASSWORD",
  "POSTGRES_EXPORTER_DSN",
  "PGBACKREST_REPO1_S3_KEY",
  "PGBACKREST_REPO1_S3_KEY_SECRET",
  "PGBACKREST_REPO1_CIPHER_PASS",
]
  .map((k) => `${k}=x`)
  .join("\n");
