import { orionProgram } from "./components/program";

// The program `pulumi up` runs for this repository's stacks (Pulumi.yaml `main: stack.ts`): `orion:*` config ->
// plan -> an OrionPlatform. See components/program.ts. The package's entry, index.ts, is the library and creates nothing.
const outputs = orionProgram();

export const stage = outputs.stage;
export const monthlyCostEur = outputs.monthlyCostEur;
export const servers = outputs.servers;
export const loadBalancerIpv4 = outputs.loadBalancerIpv4;
export const api = outputs.api;
export const database = outputs.database;
export const findings = outputs.findings;
