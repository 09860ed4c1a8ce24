import type { ResourceValidationPolicy } from "@pulumi/policy";
import { parse } from "yaml";
import { parseMemoryMb } from "../../model/units";
import { forEachBudget, mb } from "../lib/records";

/** The compose file inside a deploy script, as the deploy writes it. */
function composeIn(script: string): { services?: Record<string, { mem_limit?: string; deploy?: { replicas?: number } }> } | undefined {
  const match = /^cat > 'compose\.yaml' <<'(\w+)'\n([\s\S]*?)^\1$/m.exec(script);
  return match ? parse(match[2]) : undefined;
}

/**
 * The budget the other policies judge must be what is deployed: every
 * service in the compose file with the same limit and replicas. Catches a
 * program that renders one thing and declares another.
 */
export const deployEnforceBudgetMatch: ResourceValidationPolicy = {
  name: "deploy-enforce-budget-match",
  description: "The compose file a server's deploy writes must run exactly the services, limits and replicas of its declared budget.",
  enforcementLevel: "mandatory",
  validateResource: forEachBudget((budget, args, report) => {
    // Before a new server's volume exists the script is unknown: the pack then reports that this
    // policy cannot run during preview, while the policies that read only the budget still run.
    const script: unknown = args.props.create;
    const compose = typeof script === "string" ? composeIn(script) : undefined;
    if (!compose?.services) {
      report(`server ${budget.server}: the deploy command writes no compose.yaml, so its budget cannot be checked against what runs`);
      return;
    }
    const declared = new Map(budget.services.map((s) => [s.name, s]));
    // Caddy's limit is carved out of the host reserve, so it is declared apart from the services.
    const host = new Map((budget.hostServices ?? []).map((s) => [s.name, { ...s, replicas: 1 }]));
    for (const [name, service] of Object.entries(compose.services)) {
      const planned = declared.get(name) ?? host.get(name);
      const limitMb = service.mem_limit === undefined ? undefined : parseMemoryMb(String(service.mem_limit));
      const replicas = service.deploy?.replicas ?? 1;
      if (!planned) report(`server ${budget.server}: compose runs ${name}, which its budget does not declare`);
      else if (limitMb === undefined) report(`server ${budget.server}: compose runs ${name} without a mem_limit; its budget says ${mb(planned.memoryLimitMb)}`);
      else if (limitMb !== planned.memoryLimitMb || replicas !== planned.replicas) {
        report(`server ${budget.server}: compose runs ${name} with mem_limit ${mb(limitMb)} x ${replicas}, but its budget says ${mb(planned.memoryLimitMb)} x ${planned.replicas}`);
      }
    }
    for (const name of [...declared.keys(), ...host.keys()]) if (!(name in compose.services)) report(`server ${budget.server}: its budget declares ${name}, which compose does not run`);
  }),
};
