import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");

/**
 * Runs one of the project's CLIs as `npm run <name> -- ...` does, from the
 * project root: through cli/launch.js and its bundle, so no call compiles
 * TypeScript. `script` is the CLI's source file, e.g. "plan.ts".
 */
export function runCli(
  script: string,
  args: string[],
  cwd = ROOT,
  env: Record<string, string> = {},
): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(ROOT, "cli", "launch.js"), script.replace(/\.ts$/, ""), ...args], {
    cwd,
    encoding: "utf8",
    timeout: 240_000,
    env: { ...process.env, ...env },
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
