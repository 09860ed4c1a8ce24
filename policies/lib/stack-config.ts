import { CONFIG_NAMESPACE } from "../../model/config";
import { STAGE_NAMES, type StageName } from "../../model/stages";

/**
 * The stack's `orion:*` config as the Pulumi CLI hands it to the pack
 * (PULUMI_CONFIG: every key of the stack and project, values as strings).
 * Only operator intent is read here (stage, load, budget); what is deployed
 * comes from the resources.
 */
export interface OrionIntent {
  stage?: StageName;
  clients?: number;
  stores?: number;
  monthlyBudgetEur?: number;
}

export function orionIntent(env: NodeJS.ProcessEnv = process.env): OrionIntent {
  let config: Record<string, string> = {};
  try {
    config = JSON.parse(env.PULUMI_CONFIG ?? "{}") as Record<string, string>;
  } catch {
    return {};
  }
  const get = (key: string) => config[`${CONFIG_NAMESPACE}:${key}`];
  // Pulumi.yaml's defaults are 0 for "not given".
  const positive = (key: string) => {
    const n = Number(get(key));
    return Number.isFinite(n) && n > 0 ? n : undefined;
  };
  const stage = get("stage") ?? "launch";
  return {
    stage: (STAGE_NAMES as readonly string[]).includes(stage) ? (stage as StageName) : undefined,
    clients: positive("clients"),
    stores: positive("stores"),
    monthlyBudgetEur: positive("monthlyBudgetEur"),
  };
}
