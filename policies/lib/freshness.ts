import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

/** The pack's folder: this file is policies/lib/freshness.ts, compiled to policies/bin/policies/lib/freshness.js. */
const PACK_DIR = __filename.endsWith(".js") ? resolve(__dirname, "..", "..", "..") : resolve(__dirname, "..");
/** The folder tsconfig.build.json compiles into. */
export const BUILD_DIR = join(PACK_DIR, "bin");

function compiledFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? compiledFiles(path) : name.endsWith(".js") ? [path] : [];
  });
}

/**
 * Sources edited after they were compiled: the pack would run old rules. The
 * build mirrors the repository (rootDir ..), so `bin/model/plan.js` comes from
 * `model/plan.ts`. An empty build is stale as a whole.
 */
export function staleSources(buildDir: string = BUILD_DIR): string[] {
  const root = resolve(buildDir, "..", "..");
  const compiled = compiledFiles(buildDir);
  if (compiled.length === 0) return [relative(root, join(buildDir, "policies", "index.js"))];
  return compiled.flatMap((js) => {
    const source = join(root, relative(buildDir, js)).replace(/\.js$/, ".ts");
    try {
      return statSync(source).mtimeMs > statSync(js).mtimeMs ? [relative(root, source)] : [];
    } catch {
      return []; // a source that no longer exists is no longer imported
    }
  });
}
