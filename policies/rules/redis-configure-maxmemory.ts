import type { ResourceValidationPolicy } from "@pulumi/policy";
import { BROKER_UNSAFE_POLICIES, type RedisEvictionPolicy } from "../../model/settings";
import { forEachBudget, mb } from "../lib/records";

/** Redis is the Celery broker: maxmemory below its container limit, and no policy that evicts keys without a TTL. */
export const redisConfigureMaxmemory: ResourceValidationPolicy = {
  name: "redis-configure-maxmemory",
  description: "Redis maxmemory must be below its container limit, with an eviction policy that cannot evict Celery broker keys.",
  enforcementLevel: "mandatory",
  validateResource: forEachBudget((budget, _args, report) => {
    for (const s of budget.services.filter((x) => x.redisMaxmemoryMb !== undefined || x.name === "redis" || x.name === "redis-replica")) {
      if (s.redisMaxmemoryMb === undefined || s.redisMaxmemoryMb === 0) {
        report(`server ${budget.server}: ${s.name} has no maxmemory, so it grows to its ${mb(s.memoryLimitMb)} limit and is OOM-killed; set one below the limit`);
      } else if (s.redisMaxmemoryMb >= s.memoryLimitMb) {
        report(`server ${budget.server}: ${s.name} maxmemory ${mb(s.redisMaxmemoryMb)} is not below its container limit ${mb(s.memoryLimitMb)}; Redis needs room above maxmemory for buffers and rewrites`);
      }
      if (s.redisMaxmemoryPolicy && BROKER_UNSAFE_POLICIES.includes(s.redisMaxmemoryPolicy as RedisEvictionPolicy)) {
        report(`server ${budget.server}: ${s.name} maxmemory-policy ${s.redisMaxmemoryPolicy} can evict Celery's queue keys, which have no TTL, and drop tasks; use volatile-lru (evicts only keys with a TTL) or noeviction`);
      }
    }
  }),
};
