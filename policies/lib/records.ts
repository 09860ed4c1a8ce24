import type { PolicyResource, ResourceValidationArgs } from "@pulumi/policy";
import { SERVER_BUDGET_KIND, STAGE_SUMMARY_KIND, type ServerBudgetRecord, type StageSummaryRecord } from "../../model/budget-record";
import { SERVER_TYPES, isServerTypeName, type ServerType } from "../../model/catalog";

export const DEPLOY_TYPE = "command:remote:Command";
export const SERVER_TYPE = "hcloud:index/server:Server";
export const VOLUME_TYPE = "hcloud:index/volume:Volume";
export const DYNAMIC_TYPE = "pulumi-nodejs:dynamic:Resource";

type Props = Record<string, unknown>;

/** A server's budget: the first trigger of its deploy command (see model/budget-record.ts). */
export function budgetOf(type: string, props: Props): ServerBudgetRecord | undefined {
  if (type !== DEPLOY_TYPE) return undefined;
  const triggers = props.triggers;
  if (!Array.isArray(triggers)) return undefined;
  const record = triggers[0] as Partial<ServerBudgetRecord> | undefined;
  return record && record.kind === SERVER_BUDGET_KIND ? (record as ServerBudgetRecord) : undefined;
}

export function summaryOf(type: string, props: Props): StageSummaryRecord | undefined {
  return type === DYNAMIC_TYPE && props.kind === STAGE_SUMMARY_KIND ? (props as unknown as StageSummaryRecord) : undefined;
}

export function budgetsIn(resources: PolicyResource[]): { resource: PolicyResource; budget: ServerBudgetRecord }[] {
  return resources.flatMap((resource) => {
    const budget = budgetOf(resource.type, resource.props);
    return budget ? [{ resource, budget }] : [];
  });
}

/** The catalog entry of the server type a budget names, or undefined for a type outside the catalog. */
export function serverTypeOf(budget: ServerBudgetRecord): ServerType | undefined {
  return isServerTypeName(budget.serverType) ? SERVER_TYPES[budget.serverType] : undefined;
}

/** Runs a check on every server budget a resource carries. */
export function forEachBudget(check: (budget: ServerBudgetRecord, args: ResourceValidationArgs, report: (message: string) => void) => void) {
  return (args: ResourceValidationArgs, report: (message: string) => void): void => {
    const budget = budgetOf(args.type, args.props);
    if (budget) check(budget, args, report);
  };
}

export const mb = (value: number) => `${value.toLocaleString("en-US")} MB`;
