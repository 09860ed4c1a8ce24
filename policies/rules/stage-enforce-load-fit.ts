import { stageForLoad } from "../../model/plan";
import { STAGE_NAMES } from "../../model/stages";
import { stackCheck, type OrionStackPolicy } from "../lib/policy";
import { orionIntent } from "../lib/stack-config";

/** The guide's timeline: clients and stores that call for a bigger stage than the one deployed. */
export const stageEnforceLoadFit: OrionStackPolicy = {
  name: "stage-enforce-load-fit",
  description:
    "Warns when orion:clients or orion:stores call for a bigger stage than orion:stage (the guide's timeline).",
  enforcementLevel: "advisory",
  reads: ["stack config: `orion:stage`, `orion:clients`, `orion:stores`"],
  validateStack: stackCheck((_view, report) => {
    const { stage, clients, stores } = orionIntent();
    if (!stage || (clients === undefined && stores === undefined)) return;
    const called = stageForLoad(clients ?? 0, stores ?? 0);
    if (STAGE_NAMES.indexOf(called.name) > STAGE_NAMES.indexOf(stage)) {
      report({
        resource: `stage ${stage}`,
        key: "orion:stage",
        problem: `serves ${clients ?? 0} clients and ${stores ?? 0} stores; the guide moves to ${called.name} at ${called.trigger}`,
        fix: `plan the move with \`pulumi config set orion:stage ${called.name}\``,
      });
    }
  }),
};
