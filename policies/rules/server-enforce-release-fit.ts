import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forEachBudget, mb, serverTypeOf } from "../lib/records";

/**
 * A release runs a second API container for a moment (model/release.ts): the
 * server's budget at that moment, with what the release stops first, must
 * still fit its RAM. Recomputed here from the declared services, so a
 * release record that understates its peak does not get through.
 */
export const serverEnforceReleaseFit: ResourceValidationPolicy = {
  name: "server-enforce-release-fit",
  description: "A release's peak (the containers, less what it stops first, plus the second API container) and the host reserve must fit the server's RAM.",
  enforcementLevel: "mandatory",
  validateResource: forEachBudget((budget, _args, report) => {
    const type = serverTypeOf(budget);
    const release = budget.release;
    if (!type || !release || release.strategy === "rolling") return;
    const api = budget.services.find((s) => s.name === "api");
    if (!api) return;
    const containersMb = budget.services.reduce((sum, s) => sum + s.memoryLimitMb * s.replicas, 0);
    const freedMb = budget.services.filter((s) => release.stoppedFirst.includes(s.name)).reduce((sum, s) => sum + s.memoryLimitMb * s.replicas, 0);
    const peakMb = containersMb - freedMb + api.memoryLimitMb + budget.hostReserveMb;
    if (peakMb <= type.ramMb) return;
    report(
      `server ${budget.server} (${type.name}, ${mb(type.ramMb)} RAM): a release runs a second API container (${mb(api.memoryLimitMb)}) beside containers of ${mb(containersMb - freedMb)}` +
        `${freedMb > 0 ? ` (after ${release.stoppedFirst.join(" and ")} stop, ${mb(freedMb)})` : ""} and the host reserve ${mb(budget.hostReserveMb)}: ${mb(peakMb)}, ${mb(peakMb - type.ramMb)} over; ` +
        "stop the workers first (borrow), lower orion:memoryLimits.api, or choose a larger server type",
    );
  }),
};
