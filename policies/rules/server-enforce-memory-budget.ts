import { mb } from "../lib/finding";
import {
  composeAt,
  forEachCompose,
  replicasOf,
  stackCheck,
  type OrionStackPolicy,
  type ReadableDeployment,
} from "../lib/policy";
import { hostReserveOf, serverTypeOf } from "../lib/servers";
import { kindOf } from "../files/services";
import { isInterpolated } from "../files/compose";

/**
 * The guide's rule, on the compose files a server really runs: every
 * container's limit times its replicas, plus the host reserve, fits the
 * server type's RAM. Caddy runs inside the host reserve (the guide's
 * "OS + Caddy + Gitea + CI"), so its limit is held against the reserve instead.
 */
export const serverEnforceMemoryBudget: OrionStackPolicy = {
  name: "server-enforce-memory-budget",
  description:
    "The memory limits a server's compose files set, times replicas, plus its host reserve must fit the server's RAM; every container must have a limit.",
  enforcementLevel: "mandatory",
  reads: [
    "compose file: `services.*.mem_limit`, `deploy.resources.limits.memory`, `deploy.replicas`, `scale`; `--scale` on `docker compose up`",
    "hcloud Server: `serverType` (RAM from the catalog), label `orion-role` (host reserve)",
  ],
  validateStack: stackCheck((view, report) => {
    for (const server of view.servers) {
      const type = serverTypeOf(server);
      if (!type) continue; // server-disallow-non-arm names types outside the catalog
      const reserve = hostReserveOf(server);
      const rows: { d: ReadableDeployment; name: string; mb: number; replicas: number; path: (string | number)[] }[] =
        [];
      forEachCompose({ ...view, deployments: server.deployments }, (d) => {
        for (const s of d.compose.services) {
          if (s.memoryMb === undefined) {
            if (s.memoryText !== undefined && isInterpolated(s.memoryText)) continue; // deploy-enforce-readable-files names it
            const problem = s.memoryInvalid
              ? `${s.name} has a memory limit Compose cannot read (${s.memoryText})`
              : `${s.name} has no memory limit, so it can take all ${mb(type.ramMb)} of the server`;
            report({
              ...composeAt(d, s.memoryPath ?? ["services", s.name]),
              problem,
              fix: `set \`mem_limit\` (e.g. 256m) on ${s.name}`,
            });
            continue;
          }
          if (kindOf(s) === "caddy") {
            if (s.memoryMb > reserve.mb)
              report({
                ...composeAt(d, s.memoryPath!),
                problem: `caddy's limit ${mb(s.memoryMb)} is larger than the host reserve ${mb(reserve.mb)} it runs in (${reserve.covers})`,
                fix: "lower caddy's mem_limit",
              });
            continue;
          }
          rows.push({ d, name: s.name, mb: s.memoryMb, replicas: replicasOf(d, s), path: s.memoryPath! });
        }
      });
      const containersMb = rows.reduce((sum, r) => sum + r.mb * r.replicas, 0);
      const totalMb = containersMb + reserve.mb;
      if (rows.length === 0 || totalMb <= type.ramMb) continue;
      const largest = [...rows].sort((a, b) => b.mb * b.replicas - a.mb * a.replicas)[0];
      report({
        ...composeAt(largest.d, largest.path),
        problem: `containers ${mb(containersMb)} + host reserve ${mb(reserve.mb)} (role ${reserve.role}) = ${mb(totalMb)} on a ${type.name} with ${mb(type.ramMb)} RAM, ${mb(totalMb - type.ramMb)} over; the largest is ${largest.name} at ${mb(largest.mb)} x ${largest.replicas}`,
        fix: `lower the limits or replicas (orion:memoryLimits, orion:replicas), or choose a larger server type (orion:serverTypes.${server.role ?? "<role>"})`,
      });
    }
  }),
};
