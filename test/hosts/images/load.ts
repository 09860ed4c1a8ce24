import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { quote, run, type RunOptions, type RunResult } from "../run";
import type { ImageSet } from "./build";

interface Engine {
  name: string;
  docker(args: string[], options?: RunOptions): Promise<RunResult>;
  /** The command line that runs `argv` inside the host. */
  enter(argv: string[]): string[];
}

/**
 * Loads into one engine the images it lacks among `refs`, from the bed's
 * cache, as one `docker load` archive: the shared Debian base layer travels
 * once. References the cache does not have (a tag no recipe builds) are left
 * out: compose then tries to pull them, as it would on a server.
 */
export async function loadImages(engine: Engine, set: ImageSet, refs: string[]): Promise<string[]> {
  const wanted = [...new Set(refs)].filter((r) => set.images[r]);
  const missing: string[] = [];
  for (const ref of wanted) {
    if ((await engine.docker(["image", "inspect", "--format", "{{.Id}}", ref], { allowFail: true })).code !== 0)
      missing.push(ref);
  }
  if (missing.length === 0) return [];
  const manifest = missing.map((ref) => ({
    Config: set.images[ref].config,
    RepoTags: [ref],
    Layers: set.images[ref].layers,
  }));
  const files = [...new Set(missing.flatMap((ref) => [set.images[ref].config, ...set.images[ref].layers]))];
  // The archive is the cache's files behind symlinks: tar -h reads through them, nothing is copied.
  const dir = mkdtempSync(join(set.dir, `load-${engine.name}-`));
  try {
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    symlinkSync(join(set.dir, "configs"), join(dir, "configs"));
    symlinkSync(join(set.dir, "layers"), join(dir, "layers"));
    // tar reads the cache from the machine, docker load runs in the host: the cache may sit under a path the host has its own of (/tmp, /var/lib).
    await run(
      "bash",
      [
        "-c",
        `set -o pipefail; tar -C ${quote(dir)} -chf - manifest.json ${files.map(quote).join(" ")} | "$@"`,
        "bash",
        ...engine.enter(["docker", "load", "-q"]),
      ],
      { timeoutMs: 600_000 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return missing;
}
