import type { Measurements } from "../../model/advisor/queries";
import { advise } from "../../model/advisor/tree";
import { parseConfig } from "../../model/config";
import { plan, stageForLoad } from "../../model/plan";
import { STAGE_NAMES, type StageName } from "../../model/stages";
import { server } from "../helpers";

/** Readings for one server, every answer of the guide's tree "no" unless given. */
function readings(on: string, values: Partial<Record<keyof Measurements, number>>): Measurements {
  const at = (v: number) => [{ server: on, value: v }];
  return {
    ram: at(values.ram ?? 50),
    latency: at(values.latency ?? 0.4),
    dbBound: at(values.dbBound ?? 5),
    disk: at(values.disk ?? 40),
    celeryQueue: at(values.celeryQueue ?? 10),
  };
}

/** The config after the advised `pulumi config set` lines. */
function applied(stage: StageName, commands: string[]): Record<string, unknown> {
  const raw: Record<string, unknown> = { stage };
  for (const c of commands) {
    const [, key, value] = /^pulumi config set (?:--path )?orion:(\S+) (\S+)$/.exec(c)!;
    const [top, sub] = key.split(".");
    raw[top] = sub ? { ...(raw[top] as object), [sub]: value } : value;
  }
  return raw;
}

describe("the advisor's choice of change", () => {
  it.each(["launch", "early-growth", "growth"] as const)(
    "on %s, RAM consistently >80%% on app: a change that gives app more room, never one that only renames the stage",
    (stage) => {
      const advice = advise(readings("app", { ram: 85 }), { stage });
      expect(advice.leaf).toBe("upgrade-server");
      const before = server(plan(parseConfig({ stage })), "app");
      const after = server(plan(parseConfig(applied(stage, advice.commands))), "app");
      expect({ stage, commands: advice.commands, moreRoom: after.headroomMb > before.headroomMb }).toEqual({
        stage,
        commands: advice.commands,
        moreRoom: true,
      });
    },
  );

  it("on launch, RAM >80%: the guide's CAX11 -> CAX21, which is early-growth, for 3.60 EUR more a month", () => {
    const advice = advise(readings("app", { ram: 85 }), { stage: "launch" });
    // Totals include the backup bucket (Object Storage, 5 EUR) that both stages pay.
    expect(advice).toMatchObject({
      commands: ["pulumi config set orion:stage early-growth"],
      cost: { currentEur: 11.28, proposedEur: 14.88, deltaEur: 3.6 },
    });
  });

  it("on launch, slow and DB-bound: PgBouncer, which growth brings", () => {
    expect(advise(readings("app", { latency: 3, dbBound: 25 }), { stage: "launch" })).toMatchObject({
      leaf: "pgbouncer-or-pool",
      commands: ["pulumi config set orion:stage growth"],
    });
  });

  it("on launch, slow and not DB-bound: a second Uvicorn worker on the same server, at no cost", () => {
    expect(advise(readings("app", { latency: 3 }), { stage: "launch" })).toMatchObject({
      leaf: "workers-or-cpu",
      commands: ["pulumi config set orion:uvicornWorkers 2"],
      cost: { deltaEur: 0 },
    });
  });

  it("with every answer no: no change and no command", () => {
    expect(advise(readings("app", {}), { stage: "launch" })).toMatchObject({ leaf: "none", commands: [] });
  });
});

describe("the stage the guide's timeline calls for", () => {
  it.each([
    [0, 0, "launch"],
    [1, 24, "launch"],
    [2, 75, "launch"],
    [3, 0, "growth"],
    [0, 76, "growth"],
    [9, 200, "growth"],
    [10, 0, "scale"],
    [0, 201, "scale"],
    [24, 500, "scale"],
    [25, 0, "enterprise"],
    [0, 501, "enterprise"],
  ])("%i clients and %i stores: %s", (clients, stores, stage) => {
    expect(stageForLoad(clients, stores).name).toBe(stage);
  });

  it("never calls for early-growth, which RAM or disk triggers, not load", () => {
    for (let clients = 0; clients <= 30; clients++)
      for (const stores of [0, 50, 100, 300, 600]) expect(stageForLoad(clients, stores).name).not.toBe("early-growth");
    expect(STAGE_NAMES).toContain("early-growth");
  });
});
