import { STAGE_NAMES } from "../../model/stages";
import type { MockRun } from "../../offline/mock-run";
import { runOrion } from "../../offline/orion";
import { REPLACE_RULES } from "../../offline/replace-rules";
import { computeTransitions, FORWARD_MOVES, type Transition } from "../../offline/transitions";
import { sharedRun } from "./support";

const inputsByUrn = (run: MockRun) => Object.fromEntries(run.resources.map((r) => [r.urn, r.inputs]));

function changedResources(a: MockRun, b: MockRun): string[] {
  const before = inputsByUrn(a);
  const after = inputsByUrn(b);
  const urns = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...urns]
    .filter((urn) => JSON.stringify(before[urn]) !== JSON.stringify(after[urn]))
    .map((urn) => urn.split("::").pop()!)
    .sort();
}

describe("stage transitions", () => {
  let transitions: Transition[];
  beforeAll(async () => {
    transitions = await computeTransitions(sharedRun);
  });

  it("covers all 20 ordered pairs of stages", () => {
    expect(transitions).toHaveLength(20);
    expect(new Set(transitions.map((t) => `${t.from}>${t.to}`)).size).toBe(20);
  });

  it.each(FORWARD_MOVES)(
    "%s -> %s replaces nothing stateful, loses no stateful resource and makes no rescale Hetzner refuses",
    (from, to) => {
      const t = transitions.find((x) => x.from === from && x.to === to)!;
      expect(t.replacedStateful).toEqual([]);
      expect(t.statefulLost).toEqual([]);
      expect(t.refused).toEqual([]);
    },
  );

  it("growth -> scale moves the pgdata volume from app to db instead of copying it, and says the attachment and the deploy are replaced", () => {
    const t = transitions.find((x) => x.from === "growth" && x.to === "scale")!;
    expect(t.volumesMoved).toEqual([{ volume: "pgdata", from: "app", to: "db" }]);
    expect(t.rescaled).toEqual([{ server: "app", from: "cax21", to: "cax31", diskGb: 40, typeDiskGb: 160 }]);
    expect(t.replacedHarmless.map((r) => [r.name, r.fields]).sort()).toEqual([
      ["app-deploy", ["triggers"]],
      ["pgdata", ["serverId"]],
    ]);
  });

  it.each(FORWARD_MOVES)(
    "%s -> %s stops the compose project of every server it rescales before Hetzner powers it off",
    (from, to) => {
      const t = transitions.find((x) => x.from === from && x.to === to)!;
      expect(t.stoppedBeforeRescale.sort()).toEqual(t.rescaled.map((r) => r.server).sort());
    },
  );

  it("going back from scale would delete the db server, so it is reported", () => {
    const t = transitions.find((x) => x.from === "scale" && x.to === "growth")!;
    expect(t.statefulLost).toEqual([{ name: "db", type: "hcloud:index/server:Server" }]);
  });
});

describe("the replace table", () => {
  it("covers every resource type the program registers in any stage", async () => {
    const types = new Set<string>();
    for (const stage of STAGE_NAMES) {
      for (const r of (await runOrion({ stage, domain: "orion.example.com" })).resources)
        if (r.custom) types.add(r.type);
    }
    const missing = [...types].filter((t) => !(t in REPLACE_RULES));
    expect(missing).toEqual([]);
  });

  it("cites a provider source for every replacing field", () => {
    for (const [type, rule] of Object.entries(REPLACE_RULES)) {
      for (const [field, source] of Object.entries(rule.replaceOn))
        expect({ type, field, source }).toEqual({ type, field, source: expect.stringMatching(/\.go:\d+(-\d+)?/) });
    }
  });
});

describe("idempotence", () => {
  it.each(STAGE_NAMES)("two runs of %s register identical inputs", async (stage) => {
    const first = await runOrion({ stage });
    const second = await runOrion({ stage });
    expect(changedResources(first, second)).toEqual([]);
    expect(first.resources.length).toBe(second.resources.length);
  });
});

describe("blast radius", () => {
  it("changing the celery-worker limit in growth changes the app server's deploy and nothing else", async () => {
    const before = await sharedRun({ stage: "growth" });
    const after = await runOrion({ stage: "growth", memoryLimits: { "celery-worker": "768m" } });
    expect(changedResources(before, after)).toEqual(["app-deploy"]);
  });

  it("changing the db limit in scale changes the db server's deploy and nothing else", async () => {
    const before = await sharedRun({ stage: "scale" });
    const after = await runOrion({ stage: "scale", memoryLimits: { db: "3g" } });
    expect(changedResources(before, after)).toEqual(["db-deploy"]);
  });
});
