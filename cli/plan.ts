import { Command, Option } from "commander";
import { ConfigError, parseConfig } from "../model/config";
import { plan } from "../model/plan";
import { renderPlanText } from "../model/render/plan-text";
import { STAGE_NAMES } from "../model/stages";
import { applySetting, readStackConfig } from "./stack-config";

interface PlanOptions {
  stage?: string;
  stack?: string;
  set: string[];
  json?: boolean;
}

const program = new Command("npm run plan --")
  .description("Plan an Orion stage offline: servers, memory limits, connections and monthly cost. Needs no cloud account.")
  .addOption(new Option("--stage <stage>", `stage to plan (${STAGE_NAMES.join(", ")}); overrides orion:stage`))
  .option("--stack <name>", "read Pulumi.yaml and Pulumi.<name>.yaml as `pulumi up` would")
  .option("--set <key=value>", "override one config key, e.g. memoryLimits.db=1g (repeatable)", (v: string, all: string[]) => [...all, v], [])
  .option("--json", "print the plan as JSON")
  .showHelpAfterError();

function main(): number {
  program.parse();
  const options = program.opts<PlanOptions>();
  const raw = readStackConfig(process.cwd(), options.stack);
  if (options.stage !== undefined) raw.stage = options.stage;
  for (const assignment of options.set) applySetting(raw, assignment);

  const result = plan(parseConfig(raw));
  process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${renderPlanText(result)}\n`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  // Config and stack-file errors are for the operator; anything else is a bug, so keep its stack.
  const known = error instanceof ConfigError || (error instanceof Error && error.message.startsWith("--"));
  process.stderr.write(`error: ${known ? (error as Error).message : error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
}
