import { PLACEMENT_GROUP_TYPE } from "../lib/stack";
import { UNKNOWN } from "../lib/props";
import { stackCheck, type OrionStackPolicy } from "../lib/policy";

/** Hetzner's limit: a spread placement group holds at most 10 servers (API error `placement_group_limit_exceeded`). */
export const SPREAD_GROUP_MAX_SERVERS = 10;

/**
 * Servers of one stack sit on different physical hosts, so one host failure
 * takes one server: with more than one server, every server is in a spread
 * placement group, and no group holds more than Hetzner allows.
 */
export const placementEnforceSpread: OrionStackPolicy = {
  name: "placement-enforce-spread",
  description:
    "With several servers, every server must be in a spread placement group, and no group may hold more than 10 servers.",
  enforcementLevel: "mandatory",
  reads: ["hcloud Server: `placementGroupId`", "hcloud PlacementGroup: `type`"],
  validateStack: stackCheck((view, report) => {
    const groups = new Map(view.resources.filter((r) => r.type === PLACEMENT_GROUP_TYPE).map((g) => [g.urn, g]));
    const members = new Map<string, string[]>();
    for (const server of view.servers) {
      if (server.placementGroups === UNKNOWN) continue; // in a group the pack cannot trace (an ID given by hand)
      for (const urn of server.placementGroups) members.set(urn, [...(members.get(urn) ?? []), server.name]);
      if (view.servers.length > 1 && server.placementGroups.length === 0) {
        report({
          server: server.name,
          urn: server.urn,
          key: "placementGroupId",
          problem: `is in no placement group, so it can share a physical host with the stack's other ${view.servers.length - 1} servers`,
          fix: "put it in a spread placement group",
        });
      }
    }
    for (const [urn, names] of members) {
      const group = groups.get(urn)!;
      if (group.props.type !== "spread")
        report({
          resource: `placement group ${group.name}`,
          urn,
          key: "type",
          problem: `is of type ${String(group.props.type)}, not spread`,
          fix: 'set type: "spread"',
        });
      if (names.length > SPREAD_GROUP_MAX_SERVERS)
        report({
          resource: `placement group ${group.name}`,
          urn,
          problem: `holds ${names.length} servers (${names.join(", ")}), more than Hetzner's ${SPREAD_GROUP_MAX_SERVERS}`,
          fix: `split the servers into groups of ${SPREAD_GROUP_MAX_SERVERS} or fewer`,
        });
    }
  }),
};
