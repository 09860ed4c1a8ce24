import { orionProgram } from "./components/program";

// `pulumi up` runs this file: config -> plan -> resources. See components/program.ts.
// The program first reads what exists (its own last outputs, the project's SSH keys), so it is
// async; Pulumi awaits the exported promise and publishes its fields as the stack outputs.
export = orionProgram().then((outputs) => Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined)));
