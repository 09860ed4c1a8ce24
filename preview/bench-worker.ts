import { runOrion } from "./offline";
import { runOneResourceProgram } from "./one-resource";

/**
 * One evaluation in a fresh process, as `pulumi preview` starts one: module
 * loading included. `one` is a program with a single resource.
 */
async function main(which: string): Promise<void> {
  if (which === "one") await runOneResourceProgram();
  else await runOrion({ stage: which });
}

main(process.argv[2] ?? "one").catch((error) => {
  process.stderr.write(`error: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
