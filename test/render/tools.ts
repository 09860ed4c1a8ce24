import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Runs a tool the tests need; a missing tool is a failure, never a skip (.ci/run installs them). */
export function run(command: string, args: string[], options: { cwd?: string; input?: string } = {}): { status: number; output: string } {
  const result = spawnSync(command, args, { cwd: options.cwd, input: options.input, encoding: "utf8", timeout: 120_000 });
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
