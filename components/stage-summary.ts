import * as pulumi from "@pulumi/pulumi";
import type { StageSummaryRecord } from "../model/budget-record";

/**
 * Records the stage's cost and load in the state. It calls no API: it exists
 * so that the policy pack, which sees only resource properties, can weigh the
 * monthly cost against `orion:monthlyBudgetEur` and the stage against the load.
 */
const summaryProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: StageSummaryRecord) {
    return { id: inputs.stage, outs: inputs };
  },
  async diff(_id: string, olds: StageSummaryRecord, news: StageSummaryRecord) {
    const { __provider: _a, ...oldProps } = olds as StageSummaryRecord & { __provider?: string };
    const { __provider: _b, ...newProps } = news as StageSummaryRecord & { __provider?: string };
    return { changes: JSON.stringify(oldProps) !== JSON.stringify(newProps), replaces: [], deleteBeforeReplace: false };
  },
  async update(_id: string, _olds: StageSummaryRecord, news: StageSummaryRecord) {
    return { outs: news };
  },
};

export class StageSummary extends pulumi.dynamic.Resource {
  constructor(name: string, record: StageSummaryRecord, opts?: pulumi.CustomResourceOptions) {
    super(summaryProvider, name, record, opts);
  }
}
