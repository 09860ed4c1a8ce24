import { GENERATED_DOCS as MODEL_DOCS } from "../model/render/docs";
import { renderPoliciesDoc } from "./policies-doc";
import { computeTransitions, renderTransitionsDoc } from "./transitions";

/** Every generated document by path: the model's, and those that need an offline run of the program. */
export const ALL_GENERATED_DOCS: Record<string, () => string | Promise<string>> = {
  ...MODEL_DOCS,
  "docs/transitions.md": async () => renderTransitionsDoc(await computeTransitions()),
  "docs/policies.md": () => renderPoliciesDoc(),
};
