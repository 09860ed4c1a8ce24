/** The helpers live in preview/ (docs/policies.md runs the same cases); tests import them from here. */
export * from "../../preview/policy-run";
export { POLICY_CASES, runCase, caseConfig, type PolicyCase } from "../../preview/policy-cases";
