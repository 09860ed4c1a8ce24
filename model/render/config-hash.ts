import { createHash } from "node:crypto";

/**
 * Compose recreates a container only when its definition changes, not when
 * a file it bind-mounts does. Each service that reads config files carries
 * a label with a hash of their content, so a change to one of them (a new
 * worker's address in pg_hba.conf, a scrape target in prometheus.yml)
 * recreates that service in the same `pulumi up`, and only that service.
 */
export const CONFIG_HASH_LABEL = "orion.config-hash";

/** Files under the `./` sources of a service's bind mounts, hashed by path and content. */
export function configHash(volumes: string[], files: Record<string, string>): string | undefined {
  const sources = volumes.filter((v) => v.startsWith("./")).map((v) => v.split(":")[0].slice(2));
  const read = Object.keys(files)
    .filter((path) => sources.some((source) => path === source || path.startsWith(`${source}/`)))
    .sort();
  if (read.length === 0) return undefined;
  const hash = createHash("sha256");
  for (const path of read) hash.update(`${path}\0${files[path]}\0`);
  return hash.digest("hex").slice(0, 16);
}
