import { Command, Option } from "commander";
import { QUESTIONS, type Measurements, type Question } from "../model/advisor/queries";
import { advise, MissingMetricError, type Advice } from "../model/advisor/tree";
import { ConfigError } from "../model/config";
import { STAGE_NAMES } from "../model/stages";
import { formatEur } from "../model/units";
import { instantQuery, PrometheusQueryError, PrometheusUnreachable } from "./prometheus";
import { readStackConfig, StackFileError } from "./stack-config";

interface AdviseOptions {
  prometheus: string;
  stack?: string;
  stage?: string;
  clients?: string;
  stores?: string;
  window: string;
  at?: string;
  json?: boolean;
}

const program = new Command("npm run advise --")
  .description(
    'Walk the scaling guide\'s "When to Scale" tree against a live Prometheus and say what to change, and what it costs.',
  )
  .requiredOption(
    "--prometheus <url>",
    "Prometheus base URL, e.g. http://localhost:9090 (an SSH tunnel to the app server's 127.0.0.1:9090)",
  )
  .option("--stack <name>", "read the current stage and config from Pulumi.<name>.yaml")
  .addOption(new Option("--stage <stage>", `the current stage, if not from --stack (${STAGE_NAMES.join(", ")})`))
  .option("--clients <n>", "clients served today, checked against the guide's timeline")
  .option("--stores <n>", "stores served today, checked against the guide's timeline")
  .option("--window <duration>", 'how long "consistently" and "sustained" last, as a PromQL duration', "1h")
  .option("--at <time>", "evaluate at this time (RFC 3339) instead of now")
  .option("--json", "print the advice as JSON")
  .showHelpAfterError();

async function measure(url: string, window: string, at?: Date): Promise<Measurements> {
  const entries = await Promise.all(
    (Object.keys(QUESTIONS) as Question["id"][]).map(async (id) => {
      const rows = await instantQuery(url, QUESTIONS[id].promql(window), at);
      return [id, rows.map((r) => ({ server: r.labels.server ?? r.labels.instance ?? "?", value: r.value }))] as const;
    }),
  );
  return Object.fromEntries(entries) as Measurements;
}

const fmt = (value: number, unit: string) =>
  Number.isNaN(value)
    ? "no requests"
    : `${value.toFixed(unit === "s" ? 2 : 1)}${unit === "%" ? "%" : unit === "s" ? " s" : ""}`;

function renderText(advice: Advice, url: string, window: string): string {
  const lines = [`Scaling advisor: stage ${advice.stage}, Prometheus ${url}, window ${window}`, ""];
  advice.path.forEach((step, i) => {
    const values = step.values.map((v) => `${v.server} ${fmt(v.value, step.unit)}`).join(", ");
    lines.push(`${i + 1}. ${step.question}`, `   ${values} (${step.reading}) -> ${step.answer ? "YES" : "no"}`);
  });
  lines.push("", `Action: ${advice.action}`, `  ${advice.detail}`);
  for (const c of advice.commands) lines.push(`    ${c}`);
  if (advice.commands.length > 0) lines.push("    pulumi preview --policy-pack policies && pulumi up");
  if (advice.cost)
    lines.push(
      `  Monthly cost: ${formatEur(advice.cost.currentEur)} -> ${formatEur(advice.cost.proposedEur)} (${advice.cost.deltaEur >= 0 ? "+" : ""}${formatEur(advice.cost.deltaEur)})`,
    );
  if (advice.secondOpinion) lines.push("", `Second opinion, ${advice.secondOpinion}`);
  return lines.join("\n");
}

/** A usage mistake (an option, the stack file, the config): exit 1, apart from the codes that describe Prometheus. */
class UsageError extends Error {}

/** `localhost:9090` parses as a URL with the scheme `localhost:`; only http(s) reaches Prometheus. */
function prometheusUrl(given: string): string {
  let url: URL | undefined;
  try {
    url = new URL(given);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === "http:" || url.protocol === "https:")) return given;
  const hint = /^[a-z0-9.-]+(:\d+)?(\/.*)?$/i.test(given)
    ? `has no scheme; use http://${given}`
    : "is not a URL; use e.g. http://localhost:9090";
  throw new UsageError(`--prometheus ${given} ${hint}`);
}

async function main(): Promise<number> {
  program.parse();
  const o = program.opts<AdviseOptions>();
  o.prometheus = prometheusUrl(o.prometheus);
  const raw = readStackConfig(process.cwd(), o.stack);
  if (o.stage) raw.stage = o.stage;
  const at = o.at ? new Date(o.at) : undefined;
  if (at && Number.isNaN(at.getTime()))
    throw new UsageError(`--at ${o.at} is not a time; use RFC 3339, e.g. 2026-11-27T10:00:00Z`);
  const load = {
    clients: o.clients === undefined ? (raw.clients as number | undefined) : Number(o.clients),
    stores: o.stores === undefined ? (raw.stores as number | undefined) : Number(o.stores),
  };
  const measurements = await measure(o.prometheus, o.window, at);
  const advice = advise(measurements, raw, load);
  process.stdout.write(
    o.json
      ? `${JSON.stringify({ prometheus: o.prometheus, window: o.window, ...advice }, null, 2)}\n`
      : `${renderText(advice, o.prometheus, o.window)}\n`,
  );
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error) => {
    const usage = error instanceof UsageError || error instanceof ConfigError || error instanceof StackFileError;
    const known =
      usage ||
      error instanceof PrometheusUnreachable ||
      error instanceof PrometheusQueryError ||
      error instanceof MissingMetricError;
    process.stderr.write(`error: ${known ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
    // Missing data is never "no scaling needed": it exits non-zero like an unreachable server.
    process.exitCode = usage ? 1 : error instanceof PrometheusUnreachable ? 3 : 2;
  },
);
