import type { ConfigProblem } from "./config";
import type { PlannedServer } from "./plan-types";

/**
 * Hetzner's limit on a spread placement group: at most 10 servers (Hetzner
 * Cloud's documented limits, as quoted in kube-hetzner/terraform-hcloud-kube-hetzner
 * pull request 1217: "each Placement Group can contain up to 10 servers").
 */
export const SPREAD_GROUP_MAX_SERVERS = 10;

/**
 * A spread placement group and the servers created in it. Every server is in
 * a group from its creation, because the provider adds a server to a group
 * only by an API call that Hetzner refuses while the server runs
 * (`422 server_not_stopped`; terraform-provider-hcloud v1.68.0
 * internal/server/resource.go:717-721, 1369-1403) and refuses to remove a
 * running one itself (resource.go:1371-1377).
 */
export interface PlannedPlacementGroup {
  /** Role name of the group: the Pulumi resource name and the Hetzner name's suffix. */
  name: "spread" | "spread-workers";
  servers: string[];
}

/**
 * Which group each server is created in. A group is chosen by role, never by
 * count, so a server's group is the same in every stage and config: `spread`
 * holds the servers whose failure together would hurt (the API servers, the
 * database and its replicas, Redis and its replica, and the Sentinels on app,
 * redis and redis-replica), and `spread-workers` the Celery workers, which
 * need only be apart from each other. Workers (at most 10 by config) always
 * fit their group; `spread` is checked against Hetzner's limit.
 */
export function planPlacementGroups(servers: PlannedServer[], problems: ConfigProblem[]): PlannedPlacementGroup[] {
  const spread = servers.filter((s) => s.role !== "worker").map((s) => s.name);
  const workers = servers.filter((s) => s.role === "worker").map((s) => s.name);
  if (spread.length > SPREAD_GROUP_MAX_SERVERS) {
    const api = servers.filter((s) => s.role === "app" || s.role === "api").length;
    const replicas = servers.filter((s) => s.role === "db-replica").length;
    problems.push({
      key: "orion:apiServers + orion:dbReplicas",
      value: undefined,
      message:
        `(${api} + ${replicas}) put ${spread.length} servers in the spread placement group (${spread.join(", ")}), ` +
        `and Hetzner's spread group holds at most ${SPREAD_GROUP_MAX_SERVERS}; lower orion:apiServers or orion:dbReplicas so that they add up to ` +
        `${SPREAD_GROUP_MAX_SERVERS - (spread.length - api - replicas)} or less, or give the servers more room with orion:serverTypes`,
    });
  }
  return [
    { name: "spread" as const, servers: spread },
    { name: "spread-workers" as const, servers: workers },
  ].filter((g) => g.servers.length > 0);
}

/** The group a server is created in. */
export function placementGroupOf(groups: PlannedPlacementGroup[], server: string): PlannedPlacementGroup["name"] {
  const group = groups.find((g) => g.servers.includes(server));
  if (!group) throw new Error(`server ${server} is in no placement group`);
  return group.name;
}
