import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");

/** Runs one of the project's CLIs as `npm run <name> -- ...` would, from the project root. */
export function runCli(script: string, args: string[], cwd = ROOT, env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  const tsx = join(ROOT, "node_modules", ".bin", "tsx");
  const result = spawnSync(tsx, [join(ROOT, "cli", script), ...args], { cwd, encoding: "utf8", timeout: 240_000, env: { ...process.env, ...env } });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
