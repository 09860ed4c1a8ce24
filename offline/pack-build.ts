import { execFileSync } from "node:child_process";
import { mkdirSync, rmdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { staleSources } from "../policies/lib/freshness";

const PACK_DIR = join(__dirname, "..", "policies");

/**
 * The pack runs compiled (policies/package.json "main"). `npm ci` builds it;
 * after an edit the offline check and the tests rebuild it before starting
 * it, one process at a time (jest may run several test files at once).
 */
export function ensurePackBuilt(): void {
  if (staleSources().length === 0) return;
  // Inside bin/ (ignored by git); mkdir is atomic, so it serves as the lock.
  mkdirSync(join(PACK_DIR, "bin"), { recursive: true });
  const lock = join(PACK_DIR, "bin", ".build-lock");
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock, { recursive: false });
      break;
    } catch {
      if (waited > 120_000) throw new Error(`${lock} has been held for two minutes; remove it if no build is running`);
      execFileSync(process.execPath, ["-e", "setTimeout(() => {}, 200)"]);
    }
  }
  try {
    if (staleSources().length === 0) return;
    process.stderr.write("building the policy pack (its sources changed since the last build)\n");
    // Node's own resolution: under tsx's loader API (test/global-setup.js) `require.resolve` appends a `?namespace=` query to the path.
    const tsc = createRequire(join(PACK_DIR, "package.json")).resolve("typescript/bin/tsc");
    execFileSync(process.execPath, [tsc, "-p", join(PACK_DIR, "tsconfig.build.json")], {
      stdio: ["ignore", "inherit", "inherit"],
    });
  } finally {
    rmdirSync(lock);
  }
}
