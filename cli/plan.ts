import { Command, Option } from "commander";
import { ConfigError, parseConfig } from "../model/config";
import { imageLockFindings } from "../model/images";
import { plan } from "../model/plan";
import { renderPlanText } from "../model/report/plan-text";
import { STAGE_NAMES } from "../model/stages";
import { applySetting, readAppSecretNames, readStackConfig, readStackSecretKeys, StackFileError } from "./stack-config";
import { writeRenderedFiles } from "./write-files";

interface PlanOptions {
  stage?: string;
  stack?: string;
  set: string[];
  json?: boolean;
  policy?: boolean;
  out?: string;
}

const program = new Command("npm run plan --")
  .description(
    "Plan an Orion stage offline: servers, memory limits, connections and monthly cost. Needs no cloud account.",
  )
  .addOption(new Option("--stage <stage>", `stage to plan (${STAGE_NAMES.join(", ")}); overrides orion:stage`))
  .option("--stack <name>", "read Pulumi.yaml and Pulumi.<name>.yaml as `pulumi up` would")
  .option(
    "--set <key=value>",
    "override one config key, e.g. memoryLimits.db=1g (repeatable)",
    (v: string, all: string[]) => [...all, v],
    [],
  )
  .option("--json", "print the plan as JSON")
  .option(
    "--out <dir>",
    "write what each server receives under <dir>/<server>/: compose file, configs, deploy.sh, pull.sh and env-keys.txt (variable names, never values)",
  )
  .option(
    "--policy",
    "also run the Pulumi program offline and check it with the policy pack, as `pulumi preview --policy-pack policies` would",
  )
  .showHelpAfterError();

/** `COLUMNS` when set, else the terminal's width, else the plan's default of 80. */
function terminalWidth(): number | undefined {
  const columns = Number(process.env.COLUMNS);
  if (Number.isInteger(columns) && columns > 0) return columns;
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}

async function main(): Promise<number> {
  program.parse();
  const options = program.opts<PlanOptions>();
  const raw = readStackConfig(process.cwd(), options.stack);
  if (options.stage !== undefined) raw.stage = options.stage;
  for (const assignment of options.set) applySetting(raw, assignment);

  const config = {
    ...parseConfig(raw, { secrets: readStackSecretKeys(process.cwd(), options.stack) }),
    appSecretNames: readAppSecretNames(process.cwd(), options.stack),
  };
  const result = plan(config);
  // The lock's findings are pulumi up's as well (components/program.ts): an image without a digest stops it.
  result.findings.push(...imageLockFindings(result));
  // With --policy the pack reports the advisory findings (budget, load) from what is deployed: say each once.
  const shown = options.policy
    ? { ...result, findings: result.findings.filter((f) => f.severity !== "advisory") }
    : result;
  process.stdout.write(
    options.json ? `${JSON.stringify(result, null, 2)}\n` : `${renderPlanText(shown, { width: terminalWidth() })}\n`,
  );
  if (options.out) {
    const written = writeRenderedFiles(result, options.out, config, readStackSecretKeys(process.cwd(), options.stack));
    (options.json ? process.stderr : process.stdout).write(`\nwrote ${written.length} files under ${options.out}\n`);
  }
  if (!options.policy) return 0;

  // Loaded only here: the Pulumi SDK and the pack cost seconds that a plain plan does not need.
  const { runOrion, pulumiConfigMap } = await import("../offline/orion");
  const { checkPolicies } = await import("../offline/policy-check");
  // The program logs its findings again as it runs; the plan above has printed them once already.
  const warn = console.warn;
  console.warn = (...args: unknown[]) =>
    String(args[0]).startsWith("warning: [runtime] ") ? undefined : warn(...args);
  // The pack starts while the program runs, and gets the stack's config as the CLI passes it.
  const check = await checkPolicies(
    runOrion(raw).then((run) => run.resources),
    { stackConfig: pulumiConfigMap(raw) },
  ).finally(() => (console.warn = warn));
  (options.json ? process.stderr : process.stdout).write(`\n${check.report}\n`);
  return check.blocked ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error) => {
    // Config and stack-file errors are for the operator; anything else is a bug, so keep its stack.
    const known =
      error instanceof ConfigError ||
      error instanceof StackFileError ||
      (error instanceof Error && error.message.startsWith("--"));
    process.stderr.write(`error: ${known ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
