import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forEachBudget } from "../lib/records";

/** Docker publishes ports past the host firewall, so only loopback and the private network are allowed. */
const ALLOWED_HOST = /^(127\.\d+\.\d+\.\d+|10\.\d+\.\d+\.\d+):/;
const DATA_SERVICES = new Set(["db", "db-replica", "pgbouncer", "redis", "redis-replica", "redis-sentinel"]);

export const serviceDisallowPublicPort: ResourceValidationPolicy = {
  name: "service-disallow-public-port",
  description: "Containers may publish ports only on loopback or the private network; PostgreSQL and Redis never on a public interface.",
  enforcementLevel: "mandatory",
  validateResource: forEachBudget((budget, _args, report) => {
    for (const s of budget.services) {
      for (const port of s.ports.filter((p) => !ALLOWED_HOST.test(p))) {
        const what = DATA_SERVICES.has(s.name) ? `${s.name} (a database or Redis port)` : s.name;
        report(`server ${budget.server}: ${what} publishes ${port} on every interface, which Docker opens past the firewall; bind it to 127.0.0.1 or the private IP`);
      }
    }
  }),
};
