import { BED_DOMAIN, type TestBed, type UpResult } from "./bed";
import { exposure, report, stackState, type Exposure, type StackState } from "./checks";
import type { HttpAnswer } from "./probes";

/**
 * What every stage deployed on the bed must show (issue #12's "deployed from
 * scratch" checks), gathered once so that a scenario that already deploys a
 * stage checks it there instead of deploying it again: every container
 * healthy with exactly the planned memory limit; the API through Caddy over
 * HTTPS on the app server's public address, HTTP redirected, /metrics not
 * public; every TCP port of every public and private address scanned.
 */
export interface StageLook {
  stage: string;
  state: StackState;
  health: HttpAnswer;
  plain: HttpAnswer;
  metrics: HttpAnswer;
  exposure: Exposure[];
  /** Seconds the port scans took. */
  scanSeconds: number;
}

/** Reads the stack off the hosts and prints what it found; `expectStage` then judges it. */
export async function lookAtStage(bed: TestBed, stage: string, up?: UpResult): Promise<StageLook> {
  const state = await stackState(bed);
  const health = await bed.https("/health");
  const metrics = await bed.https("/metrics");
  const plain = await bed.operator.http({ url: `http://${BED_DOMAIN}/health`, connectTo: bed.host("app").publicIp });
  const scanAt = Date.now();
  const found = await exposure(bed);
  const scanSeconds = (Date.now() - scanAt) / 1000;
  const count = Object.values(state.containers).flat().length;
  const engine = (
    await bed.host("app").docker(["version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})"])
  ).stdout.trim();
  report(`${stage} on ${[...bed.hosts.keys()].join(", ")}, Docker Engine ${engine}`, [
    ...(up
      ? up.commands.map(
          (c) => `${c.name}: ${c.outcome}${c.ms !== undefined ? ` in ${(c.ms / 1000).toFixed(1)} s` : ""}`,
        )
      : []),
    `${count} containers, ${state.unhealthy.length} not healthy, ${state.mismatches.length} memory limit mismatches`,
    `GET https://${BED_DOMAIN}/health via ${bed.host("app").publicIp}: ${health.status ?? health.error} in ${health.ms} ms; GET http://${BED_DOMAIN}/health: ${plain.status ?? plain.error} -> ${plain.headers?.location ?? ""}; GET https://${BED_DOMAIN}/metrics: ${metrics.status ?? metrics.error}`,
    ...found.flatMap((e) => [
      `${e.server} public ${e.publicOpen.join(", ")} (expected ${e.publicExpected.join(", ")})`,
      `${e.server} private ${e.privateOpen.join(", ")} (expected ${e.privateExpected.join(", ")})`,
    ]),
    `all 65,535 TCP ports of ${found.length * 2} addresses scanned in ${scanSeconds.toFixed(1)} s`,
  ]);
  return { stage, state, health, plain, metrics, exposure: found, scanSeconds };
}

export function expectStage(look: StageLook): void {
  expect(look.state.unhealthy).toEqual([]);
  expect(look.state.mismatches).toEqual([]);
  expect(look.health.error).toBeUndefined();
  expect(look.health.status).toBe(200);
  expect(JSON.parse(look.health.body!)).toEqual({ status: "ok" });
  expect([301, 302, 307, 308]).toContain(look.plain.status);
  expect(look.plain.headers?.location).toBe(`https://${BED_DOMAIN}/health`);
  expect(look.metrics.status).toBeGreaterThanOrEqual(400);
  for (const e of look.exposure) {
    expect({ server: e.server, public: e.publicOpen }).toEqual({ server: e.server, public: e.publicExpected });
    expect({ server: e.server, private: e.privateOpen }).toEqual({ server: e.server, private: e.privateExpected });
  }
}
