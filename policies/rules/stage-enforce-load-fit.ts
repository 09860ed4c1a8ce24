import type { ResourceValidationPolicy } from "@pulumi/policy";
import { stageForLoad } from "../../model/plan";
import { STAGE_NAMES, type StageName } from "../../model/stages";
import { summaryOf } from "../lib/records";

/** The guide's timeline: clients and stores that call for a bigger stage than the one deployed. */
export const stageEnforceLoadFit: ResourceValidationPolicy = {
  name: "stage-enforce-load-fit",
  description: "Warns when orion:clients or orion:stores call for a bigger stage than orion:stage (the guide's timeline).",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    const summary = summaryOf(args.type, args.props);
    if (!summary || (summary.clients === undefined && summary.stores === undefined)) return;
    const called = stageForLoad(summary.clients ?? 0, summary.stores ?? 0);
    if (STAGE_NAMES.indexOf(called.name) > STAGE_NAMES.indexOf(summary.stage as StageName)) {
      report(`stage ${summary.stage} serves ${summary.clients ?? 0} clients and ${summary.stores ?? 0} stores; the guide moves to ${called.name} at ${called.trigger}`);
    }
  },
};
