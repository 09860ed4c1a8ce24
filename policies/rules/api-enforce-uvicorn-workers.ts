import { maxUvicornWorkers } from "../../model/catalog";
import { composeAt, forEachCompose, stackCheck, type OrionStackPolicy } from "../lib/policy";
import { serverTypeOf } from "../lib/servers";
import { uvicornWorkers } from "../files/app";
import { kindOf } from "../files/services";

/** The guide's rule of thumb: workers = 2 x CPU cores + 1, at most. */
export const apiEnforceUvicornWorkers: OrionStackPolicy = {
  name: "api-enforce-uvicorn-workers",
  description: "Uvicorn workers per API container must not exceed 2 x vCPU + 1 of its server.",
  enforcementLevel: "mandatory",
  reads: [
    "compose file: API services' `command` (`--workers`) or `WEB_CONCURRENCY`",
    "hcloud Server: `serverType` (vCPUs)",
  ],
  validateStack: stackCheck((view, report) => {
    for (const server of view.servers) {
      const type = serverTypeOf(server);
      if (!type) continue;
      const max = maxUvicornWorkers(type);
      forEachCompose({ ...view, deployments: server.deployments }, (d) => {
        for (const s of d.compose.services.filter((x) => kindOf(x) === "api")) {
          const workers = uvicornWorkers(s);
          if (workers > max)
            report({
              ...composeAt(d, ["services", s.name, "command"]),
              problem: `${s.name} runs ${workers} Uvicorn workers on a ${type.name} with ${type.vcpu} vCPUs, above 2 x ${type.vcpu} + 1 = ${max}`,
              fix: `set --workers to ${max} or less (orion:uvicornWorkers)`,
            });
        }
      });
    }
  }),
};
