import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GENERATED_DOCS } from "../model/render/docs";

/** Regenerates every file under docs/ that the model owns; `npm test` fails when they drift. */
for (const [file, render] of Object.entries(GENERATED_DOCS)) {
  writeFileSync(join(process.cwd(), file), render());
  process.stdout.write(`wrote ${file}\n`);
}
