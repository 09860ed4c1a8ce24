import { STAGE_NAMES } from "../../model/stages";
import type { MockRun } from "../../preview/mock-run";
import { runOrion } from "../../preview/offline";
import { computeTransitions, FORWARD_MOVES, type Transition } from "../../preview/transitions";
import { sharedRun } from "./support";

const inputsByUrn = (run: MockRun) => Object.fromEntries(run.resources.map((r) => [r.urn, r.inputs]));

function changedResources(a: MockRun, b: MockRun): string[] {
  const before = inputsByUrn(a);
  const after = inputsByUrn(b);
  const urns = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...urns].filter((urn) => JSON.stringify(before[urn]) !== JSON.stringify(after[urn])).map((urn) => urn.split("::").pop()!).sort();
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

  it.each(FORWARD_MOVES)("%s -> %s replaces nothing and loses no stateful resource", (from, to) => {
    const t = transitions.find((x) => x.from === from && x.to === to)!;
    expect(t.replaced).toEqual([]);
    expect(t.statefulLost).toEqual([]);
  });

  it("growth -> scale moves the pgdata volume from app to db instead of copying it", () => {
    const t = transitions.find((x) => x.from === "growth" && x.to === "scale")!;
    expect(t.volumesMoved).toEqual([{ volume: "pgdata", from: "app", to: "db" }]);
    expect(t.rescaled).toEqual([{ server: "app", from: "cax21", to: "cax31" }]);
  });

  it("going back from scale would delete the db server, so it is reported", () => {
    const t = transitions.find((x) => x.from === "scale" && x.to === "growth")!;
    expect(t.statefulLost).toEqual([{ name: "db", type: "hcloud:index/server:Server" }]);
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
