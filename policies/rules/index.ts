import type { OrionPolicy } from "../lib/policy";
import { apiEnforceUvicornWorkers } from "./api-enforce-uvicorn-workers";
import { celeryEnforceChildMemory } from "./celery-enforce-child-memory";
import { deployEnforceBudgetMatch } from "./deploy-enforce-budget-match";
import { deployEnforceEnvVariables } from "./deploy-enforce-env-variables";
import { deployEnforceReadableFiles } from "./deploy-enforce-readable-files";
import { pgbouncerEnforceConnectionLimits } from "./pgbouncer-enforce-connection-limits";
import { placementEnforceSpread } from "./placement-enforce-spread";
import { postgresDisallowOpenHba } from "./postgres-disallow-open-hba";
import { postgresEnforceMemorySettings } from "./postgres-enforce-memory-settings";
import { redisConfigureMaxmemory } from "./redis-configure-maxmemory";
import { resourceDisallowPlainSecret } from "./resource-disallow-plain-secret";
import { resourceDisallowConfigSecret } from "./resource-disallow-config-secret";
import { serverEnforceReleaseFit } from "./server-enforce-release-fit";
import { serverDisallowNonArm } from "./server-disallow-non-arm";
import { serverEnforceMemoryBudget } from "./server-enforce-memory-budget";
import { serviceDisallowOversizedLimit } from "./service-disallow-oversized-limit";
import { serviceDisallowPublicPort } from "./service-disallow-public-port";
import { serviceEnforceImageDigest } from "./service-enforce-image-digest";
import { stageEnforceLoadFit } from "./stage-enforce-load-fit";
import { stageEnforceMonthlyBudget } from "./stage-enforce-monthly-budget";
import { statefulEnforceProtection } from "./stateful-enforce-protection";

/**
 * Every policy of the pack; tests import this list without starting a server.
 * A check for a new deployed file is one module here, reading the file through
 * lib/stack.ts (and a reader in files/ or beside its writer in model/render).
 */
export const POLICIES: OrionPolicy[] = [
  deployEnforceReadableFiles,
  serverEnforceMemoryBudget,
  serviceDisallowOversizedLimit,
  postgresEnforceMemorySettings,
  celeryEnforceChildMemory,
  redisConfigureMaxmemory,
  pgbouncerEnforceConnectionLimits,
  apiEnforceUvicornWorkers,
  serviceDisallowPublicPort,
  postgresDisallowOpenHba,
  serviceEnforceImageDigest,
  deployEnforceEnvVariables,
  resourceDisallowPlainSecret,
  deployEnforceBudgetMatch,
  serverDisallowNonArm,
  statefulEnforceProtection,
  placementEnforceSpread,
  resourceDisallowConfigSecret,
  serverEnforceReleaseFit,
  stageEnforceMonthlyBudget,
  stageEnforceLoadFit,
];
