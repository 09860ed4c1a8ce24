import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Table from "cli-table3";
import { Command } from "commander";
import { STAGE_NAMES } from "../model/stages";
import { measureDeploy } from "../bench/deploy";
import { dependencyEdges, pairedRatios, spread, type Spread } from "../bench/stats";
import { enterpriseSizes } from "../bench/sweep";
import type { WorkerReport } from "../bench/worker";
import { criticalPath } from "../bench/graph";
import { runOrion } from "../offline/orion";
import { PolicyPackProcess } from "../offline/policy-check";

/**
 * What an operator waits for, measured fairly. Each program is evaluated in
 * a fresh process, as `pulumi preview` starts one, right beside a true
 * one-resource program (the floor: Node, the loader, the Pulumi SDK and the
 * mocks, nothing of Orion); pairs alternate which runs first, and the
 * programs take turns, so that a slow moment of a shared machine lands on
 * both sides of a ratio. Figures are min / median / max over the runs.
 */
const ROOT = join(__dirname, "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
/** One process per evaluation, as Pulumi runs a program: `node --import tsx`, not the tsx CLI, which starts a second Node. */
const WORKER_ARGS = ["--import", "tsx"];
const WORKER = join(ROOT, "bench", "worker.ts");
const SECTIONS = ["eval", "sweep", "policy", "plan", "deploy"] as const;
type Section = (typeof SECTIONS)[number];

interface Sample extends WorkerReport {
  wallMs: number;
}

function evaluate(arg: string): Sample {
  const start = performance.now();
  const result = spawnSync(process.execPath, [...WORKER_ARGS, WORKER, arg], { cwd: ROOT, encoding: "utf8" });
  const wallMs = performance.now() - start;
  if (result.status !== 0) throw new Error(`bench worker ${arg}: ${result.stderr}`);
  return { ...(JSON.parse(result.stdout.trim().split("\n").pop()!) as WorkerReport), wallMs };
}

const ms = (s: Spread) => `${s.min.toFixed(0)} / ${s.median.toFixed(0)} / ${s.max.toFixed(0)}`;
const ratio = (s: Spread) => `${s.min.toFixed(2)} / ${s.median.toFixed(2)} / ${s.max.toFixed(2)}`;

interface Program {
  label: string;
  raw: Record<string, unknown>;
}

interface PairedResult {
  program: Program;
  samples: Sample[];
  floor: Sample[];
}

/** Every program `runs` times, each beside a floor run; programs take turns and pairs alternate their order. */
function pairedRuns(programs: Program[], runs: number): PairedResult[] {
  // Untimed first runs: the loader's compile cache is warm from here on, as it is for a deployed program.
  evaluate("one");
  for (const p of programs) evaluate(JSON.stringify(p.raw));
  const results = programs.map((program) => ({ program, samples: [] as Sample[], floor: [] as Sample[] }));
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < results.length; k++) {
      const r = results[(k + run) % results.length];
      if ((run + k) % 2 === 0) {
        r.floor.push(evaluate("one"));
        r.samples.push(evaluate(JSON.stringify(r.program.raw)));
      } else {
        r.samples.push(evaluate(JSON.stringify(r.program.raw)));
        r.floor.push(evaluate("one"));
      }
      process.stderr.write(".");
    }
  }
  process.stderr.write("\n");
  return results;
}

async function evaluationTable(title: string, programs: Program[], runs: number): Promise<string> {
  const results = pairedRuns(programs, runs);
  const table = new Table({
    head: [
      "program",
      "resources",
      "edges",
      "critical path",
      "wall ms",
      "floor ms",
      "x floor (paired)",
      "cpu x floor",
      "load ms",
      "eval ms",
    ],
    style: { head: [], border: [] },
  });
  for (const { program, samples, floor } of results) {
    const run = await runOrion(program.raw);
    const custom = run.resources.filter((r) => r.custom);
    table.push([
      program.label,
      String(custom.length),
      String(dependencyEdges(run.resources)),
      String(criticalPath(run.resources).length),
      ms(spread(samples.map((s) => s.wallMs))),
      ms(spread(floor.map((s) => s.wallMs))),
      ratio(
        spread(
          pairedRatios(
            samples.map((s) => s.wallMs),
            floor.map((s) => s.wallMs),
          ),
        ),
      ),
      spread(
        pairedRatios(
          samples.map((s) => s.cpuMs),
          floor.map((s) => s.cpuMs),
        ),
      ).median.toFixed(2),
      spread(samples.map((s) => s.loadMs)).median.toFixed(0),
      spread(samples.map((s) => s.evalMs)).median.toFixed(0),
    ]);
  }
  const floor = results.flatMap((r) => r.floor);
  return [
    `${title} (${runs} paired runs; wall and ratios min / median / max)`,
    table.toString(),
    `floor: a one-resource program (one hcloud.SshKey) under the same mocks; its load ${spread(floor.map((s) => s.loadMs)).median.toFixed(0)} ms and eval ${spread(floor.map((s) => s.evalMs)).median.toFixed(0)} ms (medians). ` +
      "load: importing the program's modules; eval: running it until every resource is registered; cpu x floor: the paired median of process CPU time, which other load on the machine disturbs less.",
  ].join("\n");
}

async function policyStart(runs: number): Promise<string> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    const pack = await PolicyPackProcess.start();
    await pack.info();
    times.push(performance.now() - start);
    await pack.stop();
  }
  return `Policy pack start, from spawning it as the Pulumi CLI does to its first answer (GetAnalyzerInfo), ${runs} runs: ${ms(spread(times))} ms`;
}

/**
 * CPU time of this process's finished children, from /proc (Linux), in ms:
 * what a command cost, which other load on the machine disturbs less than
 * its wall time. Undefined where /proc is not there.
 */
function childrenCpuMs(): number | undefined {
  try {
    // Fields after the command name: cutime and cstime are the 14th and 15th, in clock ticks (100 a second on Linux).
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return undefined;
  }
}

function timeCommand(command: string, args: string[]): { wallMs: number; cpuMs?: number } {
  const cpuBefore = childrenCpuMs();
  const start = performance.now();
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8" });
  const wallMs = performance.now() - start;
  const cpuAfter = childrenCpuMs();
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.stderr}`);
  return { wallMs, cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore };
}

function planStart(runs: number): string {
  const commands: [string, string, string[]][] = [
    ["npm run plan -- --stage launch", "npm", ["run", "-s", "plan", "--", "--stage", "launch"]],
    [
      "node cli/launch.js plan --stage launch (what npm run plan runs)",
      process.execPath,
      ["cli/launch.js", "plan", "--stage", "launch"],
    ],
    ["tsx cli/plan.ts --stage launch (compiling on each start)", TSX, ["cli/plan.ts", "--stage", "launch"]],
    ["floor: node -e ''", process.execPath, ["-e", ""]],
    ["floor: npm run env (npm's own start)", "npm", ["run", "-s", "env"]],
  ];
  timeCommand(process.execPath, ["cli/launch.js", "plan", "--stage", "launch"]); // builds the bundle if a source changed
  const times = commands.map(() => [] as { wallMs: number; cpuMs?: number }[]);
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < commands.length; k++) {
      const i = (k + run) % commands.length;
      times[i].push(timeCommand(commands[i][1], commands[i][2]));
    }
  }
  const table = new Table({ head: ["command", "wall ms", "cpu ms"], style: { head: [], border: [] } });
  commands.forEach(([label], i) => {
    const cpu = times[i].flatMap((t) => (t.cpuMs === undefined ? [] : [t.cpuMs]));
    table.push([label, ms(spread(times[i].map((t) => t.wallMs))), cpu.length > 0 ? ms(spread(cpu)) : "n/a"]);
  });
  return [
    `Plan start, ${runs} interleaved runs (min / median / max; cpu: the command's processes, user + system)`,
    table.toString(),
  ].join("\n");
}

async function deployOnBed(runs: number): Promise<string> {
  const result = await measureDeploy("launch", runs);
  if ("notMeasured" in result)
    return `Deploy on the test bed (launch, images present): not measured: ${result.notMeasured}`;
  return `Deploy on the test bed (launch, images present, script start to every container healthy), ${runs} runs: ${ms(spread(result.seconds.map((s) => s * 1000)))} ms`;
}

async function main(): Promise<void> {
  const options = new Command("npm run bench --")
    .description("Measure evaluation, policy start, plan start and deploy, paired against floors.")
    .option("--runs <n>", "paired runs per program", "5")
    .option("--only <sections>", `comma-separated: ${SECTIONS.join(", ")}`, SECTIONS.join(","))
    .option("--stages <stages>", `comma-separated stages to evaluate: ${STAGE_NAMES.join(", ")}`, STAGE_NAMES.join(","))
    .parse()
    .opts<{ runs: string; only: string; stages: string }>();
  const runs = Number(options.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs ${options.runs}: use a whole number of runs, at least 1`);
  const only = options.only.split(",") as Section[];
  const unknown = only.filter((s) => !SECTIONS.includes(s));
  if (unknown.length > 0) throw new Error(`--only ${unknown.join(",")}: use some of ${SECTIONS.join(", ")}`);

  const stages = options.stages.split(",");
  const unknownStages = stages.filter((s) => !(STAGE_NAMES as readonly string[]).includes(s));
  if (unknownStages.length > 0)
    throw new Error(`--stages ${unknownStages.join(",")}: use some of ${STAGE_NAMES.join(", ")}`);

  const out = (text: string) => process.stdout.write(`${text}\n\n`);
  out(
    `npm run bench: Node ${process.version}, ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at the start`,
  );
  if (only.includes("eval"))
    out(
      await evaluationTable(
        "Evaluation per stage, each in a fresh process beside the floor",
        stages.map((stage) => ({ label: stage, raw: { stage } })),
        runs,
      ),
    );
  if (only.includes("sweep")) {
    const sizes = enterpriseSizes().map((size) => ({
      label: `enterprise ${Object.entries(size)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
      raw: { stage: "enterprise", ...size },
    }));
    out(
      await evaluationTable(
        "Enterprise from its smallest to its largest plannable size",
        sizes,
        Math.max(1, Math.ceil(runs / 2)),
      ),
    );
  }
  if (only.includes("policy")) out(await policyStart(runs));
  if (only.includes("plan")) out(planStart(runs));
  if (only.includes("deploy")) out(await deployOnBed(runs));
  out(
    `load average ${loadavg()[0].toFixed(1)} at the end (${cpus().length} cores): figures from a busy machine spread more; the paired ratios less so.`,
  );
}

main().catch((error) => {
  process.stderr.write(`error: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
