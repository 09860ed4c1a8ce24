import { performance } from "node:perf_hooks";

/**
 * One evaluation in a fresh process, as `pulumi preview` starts one: module
 * loading included. The argument is `one` (a Pulumi program with a single
 * resource: the floor) or the raw Orion config as JSON. Each loads only its
 * own modules, so the floor pays for Node, the loader, the Pulumi SDK, the
 * hcloud provider SDK and the mocks, and nothing of Orion.
 *
 * Prints one line of JSON: a BenchSample without the wall time, which the
 * parent measures from outside.
 */
export interface WorkerReport {
  /** From process start to this module running: Node, the TypeScript loader. */
  startMs: number;
  /** Loading the program's modules (the Pulumi SDK and, for Orion, the model and components). */
  loadMs: number;
  /** Running the program under mocks until every resource is registered. */
  evalMs: number;
  /** CPU time of the whole process (user + system), which other load on the machine disturbs less than the wall clock. */
  cpuMs: number;
  resources: number;
}

async function main(arg: string): Promise<void> {
  const startMs = performance.now();
  let run: () => Promise<{ resources: unknown[] }>;
  if (arg === "one") {
    const { runOneResourceProgram } = await import("./one-resource");
    run = runOneResourceProgram;
  } else {
    const { runOrion } = await import("../offline/orion");
    const raw = JSON.parse(arg) as Record<string, unknown>;
    run = () => runOrion(raw);
  }
  const loadedMs = performance.now();
  const result = await run();
  const doneMs = performance.now();
  const cpu = process.cpuUsage();
  const report: WorkerReport = {
    startMs,
    loadMs: loadedMs - startMs,
    evalMs: doneMs - loadedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    resources: result.resources.length,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main(process.argv[2] ?? "one").catch((error) => {
  process.stderr.write(`error: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
