import { cleanStale } from "./state";

/** Before any test: remove what a crashed earlier run of the test bed left (by its recorded PIDs and names). */
export default function globalSetup(): void {
  const cleaned = cleanStale();
  if (cleaned.length > 0) process.stdout.write(`test bed: cleaned what earlier runs left: ${cleaned.join(", ")}\n`);
}
