import { BROKER_UNSAFE_POLICIES, type RedisEvictionPolicy } from "../../model/settings";
import { mb, type Finding } from "../lib/finding";
import { composeAt, forEachCompose, stackCheck, type OrionStackPolicy, type ReadableDeployment } from "../lib/policy";
import { redisBytes, redisConfig } from "../files/redis";
import { kindOf } from "../files/services";
import type { Setting } from "../files/settings";

/**
 * Room Redis needs above maxmemory inside its container: replication and
 * client buffers, fragmentation, and the copy-on-write pages of an AOF
 * rewrite. The plan keeps about 22% (100 of 128 MB, 800 of 1,024 MB).
 */
export const REDIS_MEMORY_MARGIN = 0.2;

function at(
  d: ReadableDeployment,
  setting: Setting | undefined,
  fallback: Pick<Finding, "file" | "key">,
): Pick<Finding, "server" | "urn" | "file" | "line" | "key"> {
  return {
    server: d.serverName,
    urn: d.command.urn,
    ...(setting ? { file: setting.file, line: setting.line, key: setting.key } : fallback),
  };
}

/** Redis is the Celery broker: maxmemory below its container limit with a margin, and no policy that evicts keys without a TTL. */
export const redisConfigureMaxmemory: OrionStackPolicy = {
  name: "redis-configure-maxmemory",
  description:
    "Redis maxmemory must leave 20% of its container limit free, with an eviction policy that cannot evict Celery broker keys.",
  enforcementLevel: "mandatory",
  reads: [
    "compose file: Redis services' `mem_limit` and `command` (config file and `--maxmemory*` arguments)",
    "redis.conf (through the service's bind mount): `maxmemory`, `maxmemory-policy`",
  ],
  validateStack: stackCheck((view, report) => {
    forEachCompose(view, (d) => {
      for (const s of d.compose.services.filter((x) => kindOf(x) === "redis")) {
        const config = redisConfig(d, s, d.composePath);
        if (config.missing) {
          report({
            ...composeAt(d, ["services", s.name, "command"]),
            problem: `${s.name} starts with ${config.missing}, which this deploy does not write, so its maxmemory cannot be checked`,
            fix: "bind-mount the redis.conf the deploy writes, or pass --maxmemory and --maxmemory-policy on the command",
          });
          continue;
        }
        const fallback = {
          file: config.file ?? d.composePath,
          key: config.file ? "maxmemory" : `services.${s.name}.command`,
        };
        const maxmemory = config.settings.get("maxmemory");
        const bytes = maxmemory ? redisBytes(maxmemory.value) : 0;
        const limitMb = s.memoryMb;
        if (!bytes) {
          report({
            ...at(d, maxmemory, fallback),
            problem: `${s.name} runs without maxmemory, so it grows to its ${limitMb ? mb(limitMb) : "unbounded"} limit and is OOM-killed with every queued task in memory`,
            fix: `set maxmemory below ${limitMb ? mb(Math.floor(limitMb * (1 - REDIS_MEMORY_MARGIN))) : "the container limit"} in ${fallback.file}`,
          });
        } else if (limitMb !== undefined && bytes / 1024 / 1024 > limitMb * (1 - REDIS_MEMORY_MARGIN)) {
          report({
            ...at(d, maxmemory, fallback),
            problem: `${s.name} maxmemory ${maxmemory!.value} leaves less than ${REDIS_MEMORY_MARGIN * 100}% of its ${mb(limitMb)} container limit for buffers and rewrites`,
            fix: `set maxmemory to ${Math.floor(limitMb * (1 - REDIS_MEMORY_MARGIN))}mb or less, or raise the limit`,
          });
        }
        const policy = config.settings.get("maxmemory-policy");
        if (policy && BROKER_UNSAFE_POLICIES.includes(policy.value.toLowerCase() as RedisEvictionPolicy)) {
          report({
            ...at(d, policy, fallback),
            problem: `${s.name} maxmemory-policy ${policy.value} can evict Celery's queue keys, which have no TTL, and drop tasks`,
            fix: "use volatile-lru (evicts only keys with a TTL) or noeviction",
          });
        }
      }
    });
  }),
};
