import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forEachBudget, mb, serverTypeOf } from "../lib/records";

/** The guide's rule: a server's memory limits plus its host reserve must fit its RAM. */
export const serverEnforceMemoryBudget: ResourceValidationPolicy = {
  name: "server-enforce-memory-budget",
  description: "The memory limits on a server plus its host reserve must fit the server's RAM.",
  enforcementLevel: "mandatory",
  validateResource: forEachBudget((budget, _args, report) => {
    const type = serverTypeOf(budget);
    if (!type) return; // server-disallow-non-arm reports types outside the catalog
    const containersMb = budget.services.reduce((sum, s) => sum + s.memoryLimitMb * s.replicas, 0);
    const totalMb = containersMb + budget.hostReserveMb;
    if (totalMb <= type.ramMb) return;
    const largest = [...budget.services].sort((a, b) => b.memoryLimitMb * b.replicas - a.memoryLimitMb * a.replicas)[0];
    report(
      `server ${budget.server} (${type.name}, ${mb(type.ramMb)} RAM): containers ${mb(containersMb)} + host reserve ${mb(budget.hostReserveMb)} = ${mb(totalMb)}, ` +
        `${mb(totalMb - type.ramMb)} over; largest is ${largest.name} at ${mb(largest.memoryLimitMb)} x ${largest.replicas}`,
    );
  }),
};
