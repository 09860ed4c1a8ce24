import type { ConfigProblem } from "./config";
import type { PlannedServer } from "./plan-types";
import type { ServiceName } from "./services";
import { formatMb } from "./units";

/**
 * How a new version of the app replaces the running one on each server, in
 * one `pulumi up`, without dropping requests.
 *
 * The API is swapped behind Caddy: a second API container (the surge) starts
 * with the new image on a spare port, answers its health path, Caddy is
 * reloaded to send new requests to it (requests in flight finish on the old
 * one), the old container stops gracefully, compose starts the new canonical
 * container on the usual port, Caddy is reloaded back, and the surge stops.
 * For a moment two API containers run: the memory budget must hold both.
 *
 * - `surge`: the server's headroom holds a second API container.
 * - `borrow`: it does not (launch: 10 MB of headroom on the CAX11, the API
 *   needs 512 MB), so the Celery workers and beat stop first (warm: running
 *   tasks finish) and the surge runs in their memory; they start again with
 *   the new image once the old API has stopped. Queued tasks wait in Redis
 *   meanwhile; none is lost. The peak stays within the guide's budget.
 * - `rolling`: an API server behind another server's Caddy (enterprise, with
 *   one Caddy on the app server in front of every API server): its API stops
 *   gracefully and starts again with the new image while the other API
 *   servers serve; Caddy retries a request whose connection is refused on
 *   another server. API servers go one at a time.
 */
export type ApiReleaseStrategy = "surge" | "borrow" | "rolling";

/** The surge container's published port: the API's port + 1, on the same address. */
export const SURGE_PORT_OFFSET = 1;

/** The app's containers: what a release replaces. */
export const APP_SERVICES: readonly ServiceName[] = ["api", "celery-worker", "celery-beat"];

export interface PlannedRelease {
  server: string;
  api?: {
    strategy: ApiReleaseStrategy;
    /** The second API container's limit (the API's). */
    surgeMb: number;
    /** Services stopped before the surge starts (borrow), and the memory their limits free. */
    stoppedFirst: ServiceName[];
    freedMb: number;
    /** Containers + host reserve at the release's peak. */
    peakMb: number;
  };
  /** Runs the migration command (once per stack: the app server). */
  migrates: boolean;
  /** Servers whose deploy must finish before this one's: the database's (role password), the migration's, the previous API server's. */
  after: string[];
}

const runs = (server: PlannedServer, name: ServiceName) => server.services.find((s) => s.name === name);

function apiRelease(server: PlannedServer, frontedLocally: boolean, problems: ConfigProblem[]): PlannedRelease["api"] {
  const api = runs(server, "api");
  if (!api) return undefined;
  const base = server.containersMb + server.hostReserveMb;
  if (!frontedLocally) return { strategy: "rolling", surgeMb: 0, stoppedFirst: [], freedMb: 0, peakMb: base };
  if (server.headroomMb >= api.memoryLimitMb)
    return {
      strategy: "surge",
      surgeMb: api.memoryLimitMb,
      stoppedFirst: [],
      freedMb: 0,
      peakMb: base + api.memoryLimitMb,
    };
  const borrowed = (["celery-worker", "celery-beat"] as const)
    .map((n) => runs(server, n))
    .filter((s) => s !== undefined);
  const freedMb = borrowed.reduce((sum, s) => sum + s.totalMb, 0);
  if (server.headroomMb + freedMb < api.memoryLimitMb) {
    problems.push({
      key: `server ${server.name}`,
      value: undefined,
      message:
        `cannot release the API without dropping requests: a second API container needs ${formatMb(api.memoryLimitMb)} for a moment, ` +
        `and the headroom ${formatMb(server.headroomMb)}${borrowed.length > 0 ? ` plus what ${borrowed.map((s) => s.name).join(" and ")} free (${formatMb(freedMb)})` : ""} gives ${formatMb(server.headroomMb + freedMb)}; ` +
        "lower orion:memoryLimits.api or another limit on this server, or choose a larger server type",
    });
    return undefined;
  }
  return {
    strategy: "borrow",
    surgeMb: api.memoryLimitMb,
    stoppedFirst: borrowed.map((s) => s.name),
    freedMb,
    peakMb: base - freedMb + api.memoryLimitMb,
  };
}

/**
 * Each server's release, in the order the deploys run: the database server
 * first (its role password changes before any client switches), then the
 * app server (the migration, before any new API or worker container starts),
 * then the other API servers one at a time, and the worker servers after the
 * migration. Servers without the app release with the rest of their deploy.
 */
export function planReleases(servers: PlannedServer[], problems: ConfigProblem[]): PlannedRelease[] {
  const dbServer = servers.find((s) => runs(s, "db"))?.name;
  const apiServers = servers.filter((s) => runs(s, "api")).map((s) => s.name);
  const migrating = servers.find((s) => s.role === "app")?.name;
  return servers.map((server) => {
    const after: string[] = [];
    if (
      dbServer &&
      server.name !== dbServer &&
      (server.role === "db-replica" || server.services.some((s) => APP_SERVICES.includes(s.name)))
    )
      after.push(dbServer);
    const apiIndex = apiServers.indexOf(server.name);
    if (apiIndex > 0) after.push(apiServers[apiIndex - 1]);
    else if (migrating && server.name !== migrating && server.services.some((s) => APP_SERVICES.includes(s.name)))
      after.push(migrating);
    return {
      server: server.name,
      api: apiRelease(server, server.caddy?.upstreamServers.includes(server.name) ?? false, problems),
      migrates: server.name === migrating,
      after: [...new Set(after)],
    };
  });
}

/** One line per server for `npm run plan`: how a release replaces the API and what the peak is. */
export function describeRelease(release: PlannedRelease, server: PlannedServer): string | undefined {
  const api = release.api;
  if (!api) return undefined;
  const fits = `peak ${formatMb(api.peakMb)} of ${formatMb(server.ramMb)}`;
  switch (api.strategy) {
    case "surge":
      return `release: a second API container (${formatMb(api.surgeMb)}) starts beside the old one; ${fits}`;
    case "borrow":
      return `release: ${api.stoppedFirst.join(" and ")} stop first (warm) and lend their ${formatMb(api.freedMb)} to a second API container (${formatMb(api.surgeMb)}); ${fits}`;
    case "rolling":
      return `release: the API restarts with the new image while the other API servers serve, one server at a time; ${fits}`;
  }
}
