import { BED_DOMAIN, TestBed, type UpResult } from "../bed";
import { exposure, report, stackState, type Exposure, type StackState } from "../checks";

/**
 * Launch, growth and scale, each deployed from scratch on its own hosts the
 * way `pulumi up` deploys them: the rendered deploy scripts over SSH as the
 * deploy user, the env file on stdin. The three stacks come up side by side.
 */
const STAGES = ["launch", "growth", "scale"] as const;
type Stage = (typeof STAGES)[number];

interface Outcome {
  bed?: TestBed;
  up?: UpResult;
  state?: StackState;
  exposure?: Exposure[];
  startMs?: number;
  error?: Error;
}
const outcomes = {} as Record<Stage, Outcome>;

beforeAll(async () => {
  await Promise.all(
    STAGES.map(async (stage) => {
      const outcome: Outcome = {};
      outcomes[stage] = outcome;
      try {
        const started = Date.now();
        outcome.bed = await TestBed.start({ config: { stage, tlsIssuer: "internal" } });
        outcome.startMs = Date.now() - started;
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

function deployed(stage: Stage): { bed: TestBed; up: UpResult } {
  const o = outcomes[stage];
  if (o.error) throw o.error;
  return { bed: o.bed!, up: o.up! };
}

describe.each(STAGES)("%s deployed from scratch on real hosts", (stage) => {
  it("deploys, and every container runs healthy with exactly the planned memory limit", async () => {
    const { bed, up } = deployed(stage);
    const failed = up.commands.filter((c) => c.outcome === "ran" && c.code !== 0);
    expect(failed.map(TestBed.describe)).toEqual([]);
    expect(up.ok).toBe(true);
    const state = await stackState(bed);
    outcomes[stage].state = state;
    const count = Object.values(state.containers).flat().length;
    report(`${stage} from scratch`, [
      `hosts ${[...bed.hosts.keys()].join(", ")} started in ${(outcomes[stage].startMs! / 1000).toFixed(1)} s (namespaces, cloud-init, sshd, dockerd)`,
      ...up.commands.map((c) => `${c.name}: ${c.outcome}${c.ms !== undefined ? ` in ${(c.ms / 1000).toFixed(1)} s` : ""}`),
      `${count} containers, ${state.unhealthy.length} not healthy, ${state.mismatches.length} memory limit mismatches`,
    ]);
    expect(state.unhealthy).toEqual([]);
    expect(state.mismatches).toEqual([]);
  }, 300_000);

  it("answers /health through Caddy over HTTPS on the app server's public address; HTTP redirects; /metrics is not public", async () => {
    const { bed } = deployed(stage);
    const health = await bed.https("/health");
    const metrics = await bed.https("/metrics");
    const plain = await bed.operator.http({ url: `http://${BED_DOMAIN}/health`, connectTo: bed.host("app").publicIp });
    report(`${stage}: the API from the internet`, [
      `GET https://${BED_DOMAIN}/health via ${bed.host("app").publicIp}: ${health.status ?? health.error} in ${health.ms} ms`,
      `GET http://${BED_DOMAIN}/health: ${plain.status ?? plain.error} -> ${plain.headers?.location ?? ""}`,
      `GET https://${BED_DOMAIN}/metrics: ${metrics.status ?? metrics.error}`,
    ]);
    expect(health.error).toBeUndefined();
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body!)).toEqual({ status: "ok" });
    expect([301, 302, 307, 308]).toContain(plain.status);
    expect(plain.headers?.location).toBe(`https://${BED_DOMAIN}/health`);
    expect(metrics.status).toBeGreaterThanOrEqual(400);
  }, 300_000);

  it("answers on its public address only on 22, 80 and 443, and on the private network only on ports another server of the plan uses", async () => {
    const { bed } = deployed(stage);
    const found = await exposure(bed);
    outcomes[stage].exposure = found;
    report(
      `${stage}: open TCP ports (all 65,535 scanned)`,
      found.flatMap((e) => [`${e.server} public ${e.publicOpen.join(", ")} (expected ${e.publicExpected.join(", ")})`, `${e.server} private ${e.privateOpen.join(", ")} (expected ${e.privateExpected.join(", ")})`]),
    );
    for (const e of found) {
      expect({ server: e.server, public: e.publicOpen }).toEqual({ server: e.server, public: e.publicExpected });
      expect({ server: e.server, private: e.privateOpen }).toEqual({ server: e.server, private: e.privateExpected });
    }
  }, 900_000);
});
