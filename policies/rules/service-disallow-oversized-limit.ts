import { mb } from "../lib/finding";
import { composeAt, forEachCompose, stackCheck, type OrionStackPolicy } from "../lib/policy";
import { serverTypeOf } from "../lib/servers";

export interface OversizedLimitConfig {
  maxShareOfRamPct: number;
}

/**
 * Half of a server's RAM: the largest container Orion runs, PostgreSQL on its
 * own server, gets exactly that so the page cache gets the rest. A bigger
 * single container starves the host and every other service on it.
 */
export const DEFAULT_MAX_SHARE_OF_RAM_PCT = 50;

export const serviceDisallowOversizedLimit: OrionStackPolicy = {
  name: "service-disallow-oversized-limit",
  description: "No single container's memory limit may exceed a share of its server's RAM (default 50%).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxShareOfRamPct: { type: "number", minimum: 1, maximum: 100, default: DEFAULT_MAX_SHARE_OF_RAM_PCT },
    },
  },
  reads: ["compose file: `services.*.mem_limit`, `deploy.resources.limits.memory`", "hcloud Server: `serverType`"],
  validateStack: stackCheck((view, report, args) => {
    // The CLI applies configSchema defaults; a pack run without policy config gets none, so default here too.
    const { maxShareOfRamPct = DEFAULT_MAX_SHARE_OF_RAM_PCT } = args.getConfig<Partial<OversizedLimitConfig>>();
    for (const server of view.servers) {
      const type = serverTypeOf(server);
      if (!type) continue;
      const maxMb = Math.floor((type.ramMb * maxShareOfRamPct) / 100);
      forEachCompose({ ...view, deployments: server.deployments }, (d) => {
        for (const s of d.compose.services.filter((x) => x.memoryMb !== undefined && x.memoryMb > maxMb)) {
          report({
            ...composeAt(d, s.memoryPath!),
            problem: `${s.name} has a limit of ${mb(s.memoryMb!)}, above ${maxShareOfRamPct}% of the ${type.name}'s ${mb(type.ramMb)} RAM (${mb(maxMb)})`,
            fix: `lower ${s.name}'s limit to ${mb(maxMb)} or less, or move it to a server of its own`,
          });
        }
      });
    }
  }),
};
