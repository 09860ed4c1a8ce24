import { execFileSync } from "node:child_process";
import { mkdirSync, rmdirSync } from "node:fs";
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
    // Loaded through tsx's namespaced require (test/global-setup.js), require.resolve appends `?namespace=...`: a path for node has none.
    const tsc = require.resolve("typescript/bin/tsc").replace(/\?.*$/, "");
    execFileSync(process.execPath, [tsc, "-p", join(PACK_DIR, "tsconfig.build.json")], { stdio: ["ignore", "inherit", "inherit"] });
  } finally {
    rmdirSync(lock);
  }
}
