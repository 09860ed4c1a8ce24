import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forEachBudget, mb, serverTypeOf } from "../lib/records";

export interface OversizedLimitConfig {
  maxShareOfRamPct: number;
}

/**
 * Half of a server's RAM: the largest container Orion runs, PostgreSQL on its
 * own server, gets exactly that so the page cache gets the rest. A bigger
 * single container starves the host and every other service on it.
 */
export const DEFAULT_MAX_SHARE_OF_RAM_PCT = 50;

export const serviceDisallowOversizedLimit: ResourceValidationPolicy = {
  name: "service-disallow-oversized-limit",
  description: "No single container's memory limit may exceed a share of its server's RAM (default 50%).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { maxShareOfRamPct: { type: "number", minimum: 1, maximum: 100, default: DEFAULT_MAX_SHARE_OF_RAM_PCT } } },
  validateResource: forEachBudget((budget, args, report) => {
    const type = serverTypeOf(budget);
    if (!type) return;
    // The CLI applies configSchema defaults; a pack run without policy config gets none, so default here too.
    const { maxShareOfRamPct = DEFAULT_MAX_SHARE_OF_RAM_PCT } = args.getConfig<Partial<OversizedLimitConfig>>();
    const maxMb = Math.floor((type.ramMb * maxShareOfRamPct) / 100);
    for (const s of budget.services.filter((x) => x.memoryLimitMb > maxMb)) {
      report(`server ${budget.server} (${type.name}, ${mb(type.ramMb)} RAM): ${s.name} has a limit of ${mb(s.memoryLimitMb)}, above ${maxShareOfRamPct}% of RAM (${mb(maxMb)})`);
    }
  }),
};
