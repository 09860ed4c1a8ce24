import { TestBed, type UpResult } from "../bed";
import { expectStage, lookAtStage } from "../stage-checks";

/**
 * Scale deployed from scratch on its own hosts the way `pulumi up` deploys
 * it: the rendered deploy scripts over SSH as the deploy user, the env file
 * on stdin, a new db server with an empty volume beside the app server. The
 * other stages are deployed from scratch by the scenarios that go on to use
 * them: launch in launch-lifecycle and growth in database-move (which then
 * moves it to scale) with the same checks (stage-checks.ts), and six of
 * enterprise's servers in enterprise (health and memory limits). More stages
 * can be listed here; they come up side by side.
 */
const STAGES = ["scale"] as const;
type Stage = (typeof STAGES)[number];

interface Outcome {
  bed?: TestBed;
  up?: UpResult;
  error?: Error;
}
const outcomes = {} as Record<Stage, Outcome>;

beforeAll(async () => {
  await Promise.all(
    STAGES.map(async (stage) => {
      const outcome: Outcome = {};
      outcomes[stage] = outcome;
      try {
        outcome.bed = await TestBed.start({ config: { stage, tlsIssuer: "internal" } });
        outcome.up = await outcome.bed.up();
      } catch (error) {
        outcome.error = error as Error;
      }
    }),
  );
}, 60 * 60_000);

afterAll(async () => {
  for (const o of Object.values(outcomes)) await o.bed?.stop();
}, 300_000);

describe.each(STAGES)("%s deployed from scratch on real hosts", (stage) => {
  it("deploys; every container runs healthy with exactly the planned memory limit; the API answers through Caddy over HTTPS; only 22, 80 and 443 are public, and on the private network only ports another server uses", async () => {
    const { bed, up, error } = outcomes[stage];
    if (error) throw error;
    expect(up!.commands.filter((c) => c.outcome === "ran" && c.code !== 0).map(TestBed.describe)).toEqual([]);
    expect(up!.ok).toBe(true);
    expectStage(await lookAtStage(bed!, `${stage} from scratch`, up));
  }, 900_000);
});
