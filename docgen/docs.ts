import { GENERATED_DOCS as MODEL_DOCS } from "../model/report/docs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultPlans } from "../model/report/stages-doc";
import { renderPoliciesDoc } from "./policies-doc";
import { replaceBlock, stageTable } from "./readme";
import { computeTransitions, renderRunbook, renderTransitionsDoc, type Transition } from "../offline/transitions";

let transitions: Promise<Transition[]> | undefined;
/** The 20 offline runs behind the transitions document and the README's runbooks, made once. */
const sharedTransitions = () => (transitions ??= computeTransitions());

/** Every generated document by path: the model's, and those that need an offline run of the program. */
export const ALL_GENERATED_DOCS: Record<string, () => string | Promise<string>> = {
  ...MODEL_DOCS,
  "docs/transitions.md": async () => renderTransitionsDoc(await sharedTransitions()),
  "docs/policies.md": renderPoliciesDoc,
  // The README is hand-written around two generated blocks.
  "README.md": async () => {
    const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
    return replaceBlock(
      replaceBlock(readme, "stages", stageTable(defaultPlans())),
      "runbooks",
      renderRunbook(await sharedTransitions()),
    );
  },
};
