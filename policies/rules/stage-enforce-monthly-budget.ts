import { stackCheck, type OrionStackPolicy } from "../lib/policy";
import { monthlyCostOf } from "../lib/cost";
import { orionIntent } from "../lib/stack-config";

export interface MonthlyBudgetConfig {
  /** Overrides `orion:monthlyBudgetEur` for this pack; 0 uses the stack's own. */
  monthlyBudgetEur: number;
}

export const stageEnforceMonthlyBudget: OrionStackPolicy = {
  name: "stage-enforce-monthly-budget",
  description:
    "Warns when what the stack runs (servers, backups, volumes, load balancer) costs more a month than orion:monthlyBudgetEur.",
  enforcementLevel: "advisory",
  configSchema: { properties: { monthlyBudgetEur: { type: "number", minimum: 0, default: 0 } } },
  reads: [
    "hcloud Server: `serverType`, `backups`",
    "hcloud Volume: `size`",
    "hcloud LoadBalancer: `loadBalancerType`",
    "stack config: `orion:monthlyBudgetEur`, `orion:stage`",
  ],
  validateStack: stackCheck((view, report, args) => {
    const intent = orionIntent();
    const budget = args.getConfig<Partial<MonthlyBudgetConfig>>().monthlyBudgetEur || intent.monthlyBudgetEur;
    if (budget === undefined || budget <= 0) return;
    const cost = monthlyCostOf(view);
    if (cost.totalEur <= budget) return;
    report({
      resource: `stage ${intent.stage ?? "?"}`,
      problem: `costs ${cost.totalEur.toFixed(2)} EUR a month (${cost.lines.join(", ")}), above the budget of ${budget.toFixed(2)} EUR`,
      fix: "raise orion:monthlyBudgetEur, or choose smaller server types where the budgets allow",
    });
  }),
};
