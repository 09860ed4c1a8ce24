import type { ResourceValidationPolicy } from "@pulumi/policy";
import { maxUvicornWorkers } from "../../model/catalog";
import { forEachBudget, serverTypeOf } from "../lib/records";

/** The guide's rule of thumb: workers = 2 x CPU cores + 1, at most. */
export const apiEnforceUvicornWorkers: ResourceValidationPolicy = {
  name: "api-enforce-uvicorn-workers",
  description: "Uvicorn workers per API container must not exceed 2 x vCPU + 1 of its server.",
  enforcementLevel: "mandatory",
  validateResource: forEachBudget((budget, _args, report) => {
    const type = serverTypeOf(budget);
    if (!type) return;
    const max = maxUvicornWorkers(type);
    for (const s of budget.services.filter((x) => x.uvicornWorkers !== undefined && x.uvicornWorkers > max)) {
      report(`server ${budget.server} (${type.name}, ${type.vcpu} vCPU): ${s.name} runs ${s.uvicornWorkers} Uvicorn workers, above 2 x ${type.vcpu} + 1 = ${max}`);
    }
  }),
};
