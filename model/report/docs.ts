import { defaultPlans, renderStagesDoc } from "./stages-doc";
import { renderTopologyDoc } from "./topology";

/** Generated documents by path; the drift test and `npm run docs` both read this list. */
export const GENERATED_DOCS: Record<string, () => string> = {
  "docs/stages.md": () => renderStagesDoc(),
  "docs/topology.md": () => renderTopologyDoc(defaultPlans()),
};
