import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { STAGE_NAMES } from "../model/stages";
import { criticalPath } from "../preview/graph";
import { runOrion } from "../preview/offline";
import { runOneResourceProgram } from "../preview/one-resource";

/**
 * Evaluates the program under mocks for each stage and, side by side, a
 * program with one resource: the floor that Node, the SDK and the mocks cost
 * on their own. "cold" starts a fresh process per evaluation, as `pulumi
 * preview` does; "warm" repeats the evaluation in this process. Medians.
 */
const RUNS = 5;
const TSX = join(__dirname, "..", "node_modules", ".bin", "tsx");
const WORKER = join(__dirname, "..", "preview", "bench-worker.ts");

function medianOf(times: number[]): number {
  return [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

function cold(which: string): number {
  spawnSync(TSX, [WORKER, which]); // warm tsx's compile cache, which a deployed program would have
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const result = spawnSync(TSX, [WORKER, which], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${which}: ${result.stderr}`);
    times.push(performance.now() - start);
  }
  return medianOf(times);
}

async function warm(run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return medianOf(times);
}

async function main(): Promise<void> {
  const oneCold = cold("one");
  const oneWarm = await warm(runOneResourceProgram);
  const rows = [["program", "resources", "cold ms", "x one", "warm ms", "x one", "critical path"]];
  rows.push(["one resource", "1", oneCold.toFixed(0), "1.00", oneWarm.toFixed(1), "1.00", "1"]);
  for (const stage of STAGE_NAMES) {
    const run = await runOrion({ stage });
    const c = cold(stage);
    const w = await warm(() => runOrion({ stage }));
    const path = criticalPath(run.resources);
    rows.push([stage, String(run.resources.filter((r) => r.custom).length), c.toFixed(0), (c / oneCold).toFixed(2), w.toFixed(1), (w / oneWarm).toFixed(1), `${path.length}: ${path.join(" -> ")}`]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")}\n`);
}

main().catch((error) => {
  process.stderr.write(`error: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
