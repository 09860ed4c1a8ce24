import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ALL_GENERATED_DOCS } from "../docgen/docs";

/** Regenerates every file under docs/ that the model owns; `npm test` fails when they drift. */
async function main(): Promise<void> {
  for (const [file, render] of Object.entries(ALL_GENERATED_DOCS)) {
    writeFileSync(join(process.cwd(), file), await render());
    process.stdout.write(`wrote ${file}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`error: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
