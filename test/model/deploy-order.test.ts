import { privateIp } from "../../model/addresses";
import { deployOrder, pgdataMove } from "../../model/deploy-order";
import type { Plan } from "../../model/plan";
import { renderServerFiles } from "../../model/render/server-files";
import { STAGE_NAMES } from "../../model/stages";
import { planFor } from "../helpers";

/**
 * The other servers a server's deployed files point at: an address another
 * server's containers are reached on. An address with a prefix length
 * (`10.0.1.50/32` in pg_hba.conf) is an allow-list entry, who may connect
 * here, not a server this one connects to.
 */
function serversNamedInFiles(plan: Plan, name: string): string[] {
  const server = plan.servers.find((s) => s.name === name)!;
  const text = Object.values(renderServerFiles(plan, server)).join("\n");
  return plan.servers
    .filter((o) => o.name !== name && new RegExp(`${privateIp(o).replace(/\./g, "\\.")}(?![\\d/])`).test(text))
    .map((o) => o.name);
}

const plans: [string, Plan][] = [
  ...STAGE_NAMES.map((stage) => [stage, planFor(stage)] as [string, Plan]),
  ["enterprise at its largest", planFor("enterprise", { apiServers: 4, workerServers: 6, dbReplicas: 3 })],
];

describe("who waits for whom in pulumi up", () => {
  it.each(plans)("%s: deploys are built once each, every one after the deploys its release waits for", (_, plan) => {
    const { deploySequence, deployWaitsForDeployOf } = deployOrder(plan);
    expect([...deploySequence].sort()).toEqual(plan.servers.map((s) => s.name).sort());
    for (const [name, firsts] of Object.entries(deployWaitsForDeployOf)) {
      for (const first of firsts)
        expect([first, deploySequence.indexOf(first) < deploySequence.indexOf(name)]).toEqual([first, true]);
    }
  });

  it("enterprise: the database's deploy comes before its clients', and API servers release one at a time", () => {
    const plan = planFor("enterprise", { apiServers: 3 });
    const { deploySequence, deployWaitsForDeployOf } = deployOrder(plan);
    expect(deploySequence.indexOf("db")).toBeLessThan(deploySequence.indexOf("app"));
    expect(deployWaitsForDeployOf["api-3"]).toContain("api-2");
  });

  it.each(plans)("%s: every server a deploy's files point at is one the deploy waits for", (_, plan) => {
    const order = deployOrder(plan);
    for (const server of plan.servers) {
      expect([server.name, order.deployWaitsForNetworkOf[server.name]]).toEqual([
        server.name,
        expect.arrayContaining(serversNamedInFiles(plan, server.name)),
      ]);
    }
  });

  it("launch to growth: one server, whose deploy waits for no other", () => {
    for (const stage of ["launch", "early-growth", "growth"] as const)
      expect(deployOrder(planFor(stage)).deployWaitsForNetworkOf).toEqual({ app: [] });
  });

  it("scale: the app server's deploy waits for db (its API and workers use the database there); db's waits for nobody", () => {
    expect(deployOrder(planFor("scale")).deployWaitsForNetworkOf).toEqual({ app: ["db"], db: [] });
  });

  it("enterprise: a worker server waits for the database, its replica, the Sentinels and Redis, never for API servers or other workers", () => {
    const waits = deployOrder(planFor("enterprise")).deployWaitsForNetworkOf;
    expect(waits["worker-1"]).toEqual(["app", "db", "db-replica-1", "redis", "redis-replica"]);
    expect(waits["worker-1"]).not.toContain("api-2");
    expect(waits["worker-1"]).not.toContain("worker-2");
    // The primary accepts connections before any replica exists; a replica follows the primary.
    expect(waits.db).toEqual([]);
    expect(waits["db-replica-1"]).toEqual(["db"]);
    // Prometheus on app scrapes every server.
    expect(waits.app).toEqual(
      planFor("enterprise")
        .servers.filter((s) => s.name !== "app")
        .map((s) => s.name),
    );
  });

  it("the pgdata volume moves from app to db from scale on: app releases it, db attaches it; before scale it stays on app", () => {
    expect(pgdataMove(planFor("growth"), ["app"])).toBeUndefined();
    expect(pgdataMove(planFor("scale"))).toEqual({ releasedBy: "app", attachedBy: "db", attachWaitsForRelease: false });
  });

  it("the attachment waits for the release only in the update that moves the database: from a stack whose last update left app alone", () => {
    const move = (deployed: string[]) => deployOrder(planFor("enterprise"), deployed).pgdataMove?.attachWaitsForRelease;
    expect([move(["app"]), move([]), move(["app", "db", "redis"])]).toEqual([true, false, false]);
    expect(pgdataMove(planFor("scale"), ["app"])?.attachWaitsForRelease).toBe(true);
  });
});
