import { orionProgram } from "./components/program";

// `pulumi up` runs this file: config -> plan -> resources. See components/program.ts.
const outputs = orionProgram();

export const stage = outputs.stage;
export const monthlyCostEur = outputs.monthlyCostEur;
export const servers = outputs.servers;
export const loadBalancerIpv4 = outputs.loadBalancerIpv4;
export const api = outputs.api;
export const database = outputs.database;
export const release = outputs.release;
export const findings = outputs.findings;
