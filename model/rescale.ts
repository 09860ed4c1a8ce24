import type { PlannedServer } from "./plan-types";
import type { ServiceName } from "./services";

/**
 * Hetzner changes a server's type only while it is off, and the provider
 * powers a running server off hard (no ACPI shutdown) right before the
 * change (terraform-provider-hcloud v1.68.0 internal/server/resource.go:587-609:
 * Poweroff, then ChangeType); Hetzner starts it again once the type has
 * changed (Hetzner Cloud API, change_type: "This copies the content of its
 * disk, and starts it again"). So before the rescale the program stops the
 * compose project itself, in an order that loses no work, and the deploy
 * after it starts everything again (`docker compose up -d --wait`: a stopped
 * container does not come back by itself, its restart policy is unless-stopped).
 *
 * Each phase waits for the last one, and each container gets its
 * `stop_grace_period` before Docker kills it.
 */
export interface StopPhase {
  what: string;
  services: ServiceName[];
  /** The longest a phase can take: its slowest service's stop_grace_period, or Docker's default 10 s. */
  upToSeconds: number;
}

export const STOP_PHASES: StopPhase[] = [
  // Nothing new comes in: no scheduled tasks, no requests, no dashboards on Flower.
  { what: "stop taking work", services: ["celery-beat", "api", "flower"], upToSeconds: 10 },
  // Celery's warm shutdown on SIGTERM finishes the tasks it runs (stop_grace_period 120 s in compose.ts).
  { what: "let the Celery workers finish their running tasks", services: ["celery-worker"], upToSeconds: 120 },
  // PgBouncer first, so the database sees its clients leave. The postgres image stops on SIGINT,
  // PostgreSQL's fast shutdown, which ends with a checkpoint (stop_grace_period 60 s in compose.ts).
  // Redis flushes its append-only file on SIGTERM; Sentinel last among them.
  {
    what: "stop the data services (PostgreSQL ends with a shutdown checkpoint, Redis flushes its append-only file)",
    services: ["pgbouncer", "db", "db-replica", "redis", "redis-replica", "redis-sentinel"],
    upToSeconds: 60,
  },
  {
    what: "stop monitoring and exporters",
    services: [
      "prometheus",
      "grafana",
      "alertmanager",
      "node-exporter",
      "cadvisor",
      "postgres-exporter",
      "redis-exporter",
    ],
    upToSeconds: 10,
  },
];

/** The phases that stop something on this server, with only its services. */
export function stopPhasesFor(server: PlannedServer): StopPhase[] {
  const here = new Set(server.services.map((s) => s.name));
  return STOP_PHASES.map((p) => ({ ...p, services: p.services.filter((s) => here.has(s)) })).filter(
    (p) => p.services.length > 0,
  );
}

/** The longest the stop can take on this server. */
export function stopUpToSeconds(server: PlannedServer): number {
  return stopPhasesFor(server).reduce((sum, p) => sum + p.upToSeconds, 0);
}

/**
 * Hetzner's rescale, from power-off to the machine starting again: about two
 * minutes for a server of the guide's sizes (the runbooks' figure since the
 * first release; Hetzner copies the disk, so a larger disk takes longer).
 */
export const RESCALE_SECONDS = 120;
