/** The helpers live in offline/ (docs/policies.md runs the same cases); tests import them from here. */
export * from "../../offline/policy-run";
export { POLICY_CASES, runCase, caseConfig, type PolicyCase } from "../../offline/policy-cases";
