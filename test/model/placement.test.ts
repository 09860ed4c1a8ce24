import { SPREAD_GROUP_MAX_SERVERS } from "../../model/placement";
import { STAGE_NAMES } from "../../model/stages";
import { errorOf, planFor } from "../helpers";

describe("spread placement groups, at most 10 servers each (Hetzner)", () => {
  it.each(STAGE_NAMES)("puts every %s server in exactly one group, launch's single server included", (stage) => {
    const p = planFor(stage);
    const grouped = p.placementGroups.flatMap((g) => g.servers);
    expect(grouped.sort()).toEqual(p.servers.map((s) => s.name).sort());
    for (const g of p.placementGroups) expect(g.servers.length).toBeLessThanOrEqual(SPREAD_GROUP_MAX_SERVERS);
  });

  it("fits the issue's 11-server enterprise (3 API servers, 3 worker servers, 2 replicas) in two groups", () => {
    const p = planFor("enterprise", { apiServers: 3, workerServers: 3, dbReplicas: 2 });
    expect(p.servers).toHaveLength(11);
    expect(p.placementGroups.map((g) => [g.name, g.servers.length])).toEqual([
      ["spread", 8],
      ["spread-workers", 3],
    ]);
  });

  it("takes the most worker servers the config allows", () => {
    expect(
      planFor("enterprise", { workerServers: 10 }).placementGroups.find((g) => g.name === "spread-workers")!.servers,
    ).toHaveLength(10);
  });

  it("refuses more than 10 servers in the spread group, and says which keys to lower", () => {
    expect(errorOf(() => planFor("enterprise", { apiServers: 6, dbReplicas: 3 }))).toBe(
      "orion:apiServers + orion:dbReplicas (6 + 3) put 12 servers in the spread placement group (app, api-2, api-3, api-4, api-5, api-6, db, db-replica-1, db-replica-2, db-replica-3, redis, redis-replica), " +
        "and Hetzner's spread group holds at most 10; lower orion:apiServers or orion:dbReplicas so that they add up to 7 or less, or give the servers more room with orion:serverTypes",
    );
  });
});
