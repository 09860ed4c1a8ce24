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
  /** By server: the servers whose deploy (and release) must finish before its own starts (model/release.ts). */
  deployWaitsForDeployOf: Record<string, string[]>;
  /** Every server once, each after the servers whose deploy it waits for: the order in which deploys can be built. */
  deploySequence: string[];
  /** The database on its own server (scale on): who releases the pgdata volume, who attaches it, and whether the attachment waits. */
  pgdataMove?: PgdataMove;
}

export interface PgdataMove {
  /** Stops the database it ran in an earlier stage and releases the volume: a step that stays in the stack once the database has moved. */
  releasedBy: string;
  /** Attaches the volume and runs the database from now on. */
  attachedBy: string;
  /**
   * The last update left the volume on `releasedBy` (the database moves in
   * this update): the attachment waits for the release. A new stack, or one
   * whose database has already moved, has nothing to release first.
   */
  attachWaitsForRelease: boolean;
}

/**
 * The app server held the database (and its volume) until scale; from scale
 * on the volume sits on db. `deployedServers`: the servers the stack's last
 * update left (none for a new stack).
 */
export function pgdataMove(plan: Plan, deployedServers: readonly string[] = []): PgdataMove | undefined {
  const volume = plan.volumes.find((v) => v.name === "pgdata");
  const app = plan.servers.find((s) => s.role === "app");
  if (!volume || !app || volume.server === app.name) return undefined;
  return {
    releasedBy: app.name,
    attachedBy: volume.server,
    attachWaitsForRelease: deployedServers.includes(app.name) && !deployedServers.includes(volume.server),
  };
}

/** Who waits for whom in the update that builds `plan` over the servers the last update left. */
export function deployOrder(plan: Plan, deployedServers: readonly string[] = []): DeployOrder {
  // Releases go in order: the database's deploy before its clients' (the role password before they use it),
  // the migration before new app containers, API servers one at a time.
  const deployWaitsForDeployOf = Object.fromEntries(
    plan.servers.map((s) => [s.name, plan.releases.find((r) => r.server === s.name)?.after ?? []]),
  );
  const deploySequence: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string): void => {
    if (deploySequence.includes(name)) return;
    if (visiting.has(name)) throw new Error(`the release order of the plan has a cycle through ${name}`);
    visiting.add(name);
    for (const first of deployWaitsForDeployOf[name] ?? []) visit(first);
    deploySequence.push(name);
  };
  for (const server of plan.servers) visit(server.name);
  return {
    deployWaitsForNetworkOf: Object.fromEntries(plan.servers.map((s) => [s.name, serversReachedFrom(plan, s)])),
    deployWaitsForDeployOf,
    deploySequence,
    pgdataMove: pgdataMove(plan, deployedServers),
  };
}
