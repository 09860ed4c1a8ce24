import type { Plan } from "./plan-types";
import { serversReachedFrom } from "./reach";

/**
 * Who waits for whom when `pulumi up` builds a plan, so that each step waits
 * only for what it needs and the rest runs in parallel.
 *
 * A server's deploy waits for its own server (cloud-init, images pulled, its
 * volume attached and mounted) and for the servers its containers connect to
 * to be on the private network, since services connect across servers from
 * their first start; it does not wait for servers it never connects to.
 */
export interface DeployOrder {
  /** By server: the other servers whose private network attachment its deploy waits for. */
  deployWaitsForNetworkOf: Record<string, string[]>;
  /**
   * The database moved to its own server (scale on): the server that stopped
   * its database and releases the pgdata volume, and the one that attaches
   * the volume once it is released. Absent while the volume stays where it was created.
   */
  pgdataMove?: PgdataMove;
}

export interface PgdataMove {
  releasedBy: string;
  attachedBy: string;
}

/** The app server held the database (and its volume) until scale; from scale on the volume sits on db. */
export function pgdataMove(plan: Plan): PgdataMove | undefined {
  const volume = plan.volumes.find((v) => v.name === "pgdata");
  const app = plan.servers.find((s) => s.role === "app");
  if (!volume || !app || volume.server === app.name) return undefined;
  return { releasedBy: app.name, attachedBy: volume.server };
}

export function deployOrder(plan: Plan): DeployOrder {
  return {
    deployWaitsForNetworkOf: Object.fromEntries(plan.servers.map((s) => [s.name, serversReachedFrom(plan, s)])),
    pgdataMove: pgdataMove(plan),
  };
}
