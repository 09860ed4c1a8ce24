import type { StageName } from "../model/stages";
import { measureDeployOnBed } from "../test/hosts/bench-deploy";

/**
 * The deploy figure of `npm run bench`: a stage's deploy script run on the
 * real-hosts test bed (test/hosts/bench-deploy.ts), images already loaded,
 * timed from the start of the script until `docker compose up --wait` has
 * every container healthy.
 */
export async function measureDeploy(
  stage: StageName,
  runs: number,
): Promise<{ seconds: number[] } | { notMeasured: string }> {
  return measureDeployOnBed(stage, runs);
}
