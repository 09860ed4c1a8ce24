import type { ResourceValidationPolicy } from "@pulumi/policy";
import { summaryOf } from "../lib/records";

export interface MonthlyBudgetConfig {
  /** Overrides `orion:monthlyBudgetEur` for this pack; 0 uses the stack's own. */
  monthlyBudgetEur: number;
}

export const stageEnforceMonthlyBudget: ResourceValidationPolicy = {
  name: "stage-enforce-monthly-budget",
  description: "Warns when the stage's monthly cost is above orion:monthlyBudgetEur.",
  enforcementLevel: "advisory",
  configSchema: { properties: { monthlyBudgetEur: { type: "number", minimum: 0, default: 0 } } },
  validateResource: (args, report) => {
    const summary = summaryOf(args.type, args.props);
    if (!summary) return;
    const budget = args.getConfig<Partial<MonthlyBudgetConfig>>().monthlyBudgetEur || summary.monthlyBudgetEur;
    if (budget !== undefined && budget > 0 && summary.monthlyCostEur > budget) {
      report(`stage ${summary.stage} costs ${summary.monthlyCostEur.toFixed(2)} EUR a month, above the budget of ${budget.toFixed(2)} EUR (servers: ${summary.servers.join(", ")})`);
    }
  },
};
