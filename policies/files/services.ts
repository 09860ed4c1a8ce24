import { SERVICES, isServiceName } from "../../model/services";
import type { WrittenFile } from "../lib/heredocs";
import { fileAt, type Deployment } from "../lib/stack";
import { shellWords, type ComposeService } from "./compose";

/**
 * What a compose service is, from what it runs: its image first, then its
 * command, then its name. A renamed service or a swapped image is still
 * recognised by the other two.
 */
export type ServiceKind =
  | "postgres"
  | "pgbouncer"
  | "redis"
  | "sentinel"
  | "api"
  | "celery-worker"
  | "celery-beat"
  | "flower"
  | "prometheus"
  | "grafana"
  | "alertmanager"
  | "exporter"
  | "caddy"
  | "other";

/** Services that hold data or administer the stack: never published on a public address. */
export const DATA_OR_ADMIN_KINDS: readonly ServiceKind[] = [
  "postgres",
  "pgbouncer",
  "redis",
  "sentinel",
  "flower",
  "grafana",
  "prometheus",
  "alertmanager",
  "exporter",
];

/** Every argument of a command, with the words of `sh -c "..."` scripts split out too. */
export function commandWords(service: ComposeService): string[] {
  return service.command.flatMap((word) => (/\s/.test(word) ? [word, ...shellWords(word)] : [word]));
}

/** `postgres` for `docker.io/library/postgres:15@sha256:...`. */
export function imageRepository(image: string | undefined): string {
  if (!image) return "";
  const withoutDigest = image.split("@")[0];
  const last = withoutDigest.split("/").pop() ?? "";
  return last.split(":")[0].toLowerCase();
}

const BY_NAME: Record<string, ServiceKind> = {
  db: "postgres",
  "db-replica": "postgres",
  pgbouncer: "pgbouncer",
  redis: "redis",
  "redis-replica": "redis",
  "redis-sentinel": "sentinel",
  api: "api",
  "celery-worker": "celery-worker",
  "celery-beat": "celery-beat",
  flower: "flower",
  prometheus: "prometheus",
  grafana: "grafana",
  alertmanager: "alertmanager",
  "node-exporter": "exporter",
  cadvisor: "exporter",
  "postgres-exporter": "exporter",
  "redis-exporter": "exporter",
  caddy: "caddy",
};

export function kindOf(service: ComposeService): ServiceKind {
  const words = commandWords(service);
  const repo = imageRepository(service.image);
  if (repo === "postgres" || repo === "postgresql") return "postgres";
  if (repo.includes("pgbouncer")) return "pgbouncer";
  if (repo.startsWith("redis") && !repo.includes("exporter"))
    return words.some((w) => w === "--sentinel" || w.endsWith("redis-sentinel")) ? "sentinel" : "redis";
  if (repo.includes("exporter") || repo === "cadvisor") return "exporter";
  if (repo === "flower" || (words.includes("celery") && words.includes("flower"))) return "flower";
  if (repo === "prometheus") return "prometheus";
  if (repo === "grafana") return "grafana";
  if (repo === "alertmanager") return "alertmanager";
  if (repo === "caddy") return "caddy";
  if (words.some((w) => w === "uvicorn" || w === "gunicorn")) return "api";
  if (words.includes("celery") && words.includes("worker")) return "celery-worker";
  if (words.includes("celery") && words.includes("beat")) return "celery-beat";
  return BY_NAME[service.name] ?? "other";
}

/** The image's own port for a kind, for messages that suggest a binding. */
export function defaultPortOf(service: ComposeService): number | undefined {
  return isServiceName(service.name) ? SERVICES[service.name].port : undefined;
}

/** The deployed file behind a path inside the container, through the service's bind mounts. */
export function mountedFile(
  deployment: Deployment,
  service: ComposeService,
  containerPath: string,
): { path: string; file?: WrittenFile } | undefined {
  const deployDir =
    /^\s*cd\s+(\S+)/m.exec(typeof deployment.script === "string" ? deployment.script : "")?.[1]?.replace(/\/$/, "") ??
    "";
  const mounts = service.mounts.filter(
    (m) =>
      m.type === "bind" &&
      m.source &&
      (containerPath === m.target || containerPath.startsWith(`${m.target.replace(/\/$/, "")}/`)),
  );
  // The most specific mount wins, as in the container's mount table.
  const mount = mounts.sort((a, b) => b.target.length - a.target.length)[0];
  if (!mount) return undefined;
  let source = `${mount.source!.replace(/\/$/, "")}${containerPath.slice(mount.target.replace(/\/$/, "").length)}`;
  if (deployDir && source.startsWith(`${deployDir}/`)) source = source.slice(deployDir.length + 1);
  if (source.startsWith("/")) return { path: source };
  const path = source.replace(/^\.\//, "");
  return { path, file: fileAt(deployment, path) };
}

/** The value after `--flag` or in `--flag=value` (or a short alias), last one winning. */
export function flagValue(words: string[], ...flags: string[]): string | undefined {
  let value: string | undefined;
  words.forEach((w, i) => {
    for (const flag of flags) {
      if (w === flag && words[i + 1] !== undefined) value = words[i + 1];
      else if (w.startsWith(`${flag}=`)) value = w.slice(flag.length + 1);
    }
  });
  return value;
}
