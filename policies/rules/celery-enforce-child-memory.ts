import { CELERY_PARENT_MB } from "../../model/celery";
import { mb } from "../lib/finding";
import { composeAt, forEachCompose, stackCheck, type OrionStackPolicy } from "../lib/policy";
import { serverTypeOf } from "../lib/servers";
import { celeryChildLimitKb, celeryConcurrency } from "../files/app";
import { kindOf } from "../files/services";

/**
 * A Celery worker container holds its prefork parent and `--concurrency`
 * children, each recycled at `--max-memory-per-child`. If those add up past
 * the container limit, the kernel kills the container before Celery recycles
 * a child, and every task in flight is lost.
 */
export const celeryEnforceChildMemory: OrionStackPolicy = {
  name: "celery-enforce-child-memory",
  description:
    "A Celery worker's parent plus concurrency x --max-memory-per-child must fit its container limit, and each child must have that limit.",
  enforcementLevel: "mandatory",
  reads: [
    "compose file: Celery worker services' `mem_limit` and `command` (`--concurrency`, `--max-memory-per-child`)",
    "hcloud Server: `serverType` (vCPUs: Celery's default concurrency)",
  ],
  validateStack: stackCheck((view, report) => {
    for (const server of view.servers) {
      const vcpu = serverTypeOf(server)?.vcpu ?? 1;
      forEachCompose({ ...view, deployments: server.deployments }, (d) => {
        for (const s of d.compose.services.filter((x) => kindOf(x) === "celery-worker" && x.memoryMb !== undefined)) {
          const concurrency = celeryConcurrency(s, vcpu);
          const childKb = celeryChildLimitKb(s);
          const where = composeAt(d, ["services", s.name, "command"]);
          const shareMb = Math.floor((s.memoryMb! - CELERY_PARENT_MB) / Math.max(1, concurrency));
          if (childKb === undefined || !(childKb > 0)) {
            report({
              ...where,
              problem: `${s.name} runs ${concurrency} children with no --max-memory-per-child, so a leaking task grows until the container is OOM-killed`,
              fix: `add --max-memory-per-child ${Math.floor(shareMb * 0.8) * 1024} (80% of each child's ${mb(shareMb)} share, in KiB)`,
            });
            continue;
          }
          const needMb = CELERY_PARENT_MB + (concurrency * childKb) / 1024;
          if (needMb > s.memoryMb!) {
            report({
              ...where,
              problem: `${s.name}'s parent ${mb(CELERY_PARENT_MB)} + ${concurrency} children x --max-memory-per-child ${mb(childKb / 1024)} = ${mb(needMb)}, above its limit ${mb(s.memoryMb!)}: the container is killed before a child is recycled`,
              fix: `lower --concurrency or --max-memory-per-child to ${Math.max(0, Math.floor(shareMb * 0.8)) * 1024} KiB or less, or raise the limit`,
            });
          }
        }
      });
    }
  }),
};
