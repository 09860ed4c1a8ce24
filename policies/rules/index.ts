import type { Policies } from "@pulumi/policy";
import { apiEnforceUvicornWorkers } from "./api-enforce-uvicorn-workers";
import { deployEnforceBudgetMatch } from "./deploy-enforce-budget-match";
import { pgbouncerEnforceConnectionLimits } from "./pgbouncer-enforce-connection-limits";
import { redisConfigureMaxmemory } from "./redis-configure-maxmemory";
import { resourceDisallowPlainSecret } from "./resource-disallow-plain-secret";
import { resourceDisallowConfigSecret } from "./resource-disallow-config-secret";
import { serverEnforceReleaseFit } from "./server-enforce-release-fit";
import { serverDisallowNonArm } from "./server-disallow-non-arm";
import { serverEnforceMemoryBudget } from "./server-enforce-memory-budget";
import { serviceDisallowOversizedLimit } from "./service-disallow-oversized-limit";
import { serviceDisallowPublicPort } from "./service-disallow-public-port";
import { stageEnforceLoadFit } from "./stage-enforce-load-fit";
import { stageEnforceMonthlyBudget } from "./stage-enforce-monthly-budget";
import { statefulEnforceProtection } from "./stateful-enforce-protection";

/** Every policy of the pack; tests import this list without starting a server. */
export const POLICIES: Policies = [
  serverEnforceMemoryBudget,
  serviceDisallowOversizedLimit,
  deployEnforceBudgetMatch,
  redisConfigureMaxmemory,
  serverDisallowNonArm,
  apiEnforceUvicornWorkers,
  pgbouncerEnforceConnectionLimits,
  statefulEnforceProtection,
  serviceDisallowPublicPort,
  resourceDisallowPlainSecret,
  resourceDisallowConfigSecret,
  serverEnforceReleaseFit,
  stageEnforceMonthlyBudget,
  stageEnforceLoadFit,
];
