import type { StageName } from "../model/stages";

/**
 * The deploy figure of `npm run bench`: a stage's deploy scripts run on the
 * real-hosts test bed (one Docker Engine per server, images already loaded),
 * timed from the start of the script until `docker compose up --wait` has
 * every container healthy.
 *
 * The hook for the test bed: when the bed is in the tree, make this start
 * the stage's hosts once, run its deploy `runs` times (taking the containers
 * down between runs, keeping the images), stop the hosts, and return the
 * seconds of each run. Until then it says why there is no figure.
 */
export async function measureDeploy(stage: StageName, runs: number): Promise<{ seconds: number[] } | { notMeasured: string }> {
  void stage;
  void runs;
  return { notMeasured: "the real-hosts test bed is not in this tree yet (preview/bench-deploy.ts is where it plugs in)" };
}
