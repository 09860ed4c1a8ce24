import { orionProgram } from "./components/program";

// The program `pulumi up` runs for this repository's stacks (Pulumi.yaml `main: stack.ts`): `orion:*` config ->
// plan -> an OrionPlatform. See components/program.ts. The package's entry, index.ts, is the library and creates nothing.
// The program first reads what exists (its own last outputs, the project's SSH keys), so it is
// async; Pulumi awaits the exported promise and publishes its fields as the stack outputs.
export = orionProgram().then((outputs) =>
  Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined)),
);
