import { STAGE_NAMES } from "../../model/stages";
import { runOrion } from "../../preview/offline";
import { formatDiagnostics, PolicyPackProcess } from "../../preview/policy-check";
import { POLICIES } from "../../policies/rules";
import { tamperService } from "./support";

/** These go through the pack as the Pulumi CLI runs it: its own process, over the Analyzer protocol. */
let pack: PolicyPackProcess;
beforeAll(async () => {
  pack = await PolicyPackProcess.start();
}, 60_000);
afterAll(async () => {
  await pack.stop();
});

describe("the policy pack process", () => {
  it("serves every policy with its enforcement level", async () => {
    const info = await pack.info();
    expect(info.name).toBe("orion");
    expect(info.version).toBe("0.1.0");
    expect(info.policies.map((p) => [p.name, p.enforcementLevel]).sort()).toEqual(POLICIES.map((p) => [p.name, p.enforcementLevel]).sort());
  });

  it.each(STAGE_NAMES)("passes the %s stage with no diagnostic at all", async (stage) => {
    const run = await runOrion({ stage });
    expect(await pack.analyze(run.resources)).toEqual([]);
  });

  it("blocks a program that passes the model but deploys celery-worker at 3 GB on the launch CAX11", async () => {
    const run = tamperService(await runOrion({ stage: "launch" }), "app", "celery-worker", { memoryLimitMb: 3072 });
    const diagnostics = await pack.analyze(run.resources);
    expect(diagnostics.map((d) => [d.policyName, d.enforcementLevel, d.urn.split("::").pop()])).toEqual([
      ["server-enforce-memory-budget", "mandatory", "app-deploy"],
      ["service-disallow-oversized-limit", "mandatory", "app-deploy"],
    ]);
    expect(diagnostics[0].message).toContain("server app (cax11, 4,096 MB RAM): containers 5,496 MB + host reserve 1,150 MB = 6,646 MB, 2,550 MB over");
    expect(formatDiagnostics(diagnostics, { name: "orion", version: "0.1.0" })).toMatch(/❌ orion@v0\.1\.0[\s\S]*\[mandatory\]  server-enforce-memory-budget  \(app-deploy: command:remote:Command\)/);
  });

  it("still judges what is knowable while server IPs and IDs are unknown, and crashes on nothing", async () => {
    const run = tamperService(await runOrion({ stage: "enterprise" }, { preview: true }), "redis", "redis", { redisMaxmemoryPolicy: "allkeys-lru" });
    expect(JSON.stringify(run.resources)).toContain("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
    const diagnostics = await pack.analyze(run.resources);
    expect(diagnostics.map((d) => d.policyName)).toEqual(["redis-configure-maxmemory"]);
  });

  it("checks PgBouncer against the app's connections across servers in AnalyzeStack", async () => {
    const run = tamperService(await runOrion({ stage: "scale" }), "app", "api", { dbPoolSize: 10, dbMaxOverflow: 20 }, false);
    const diagnostics = await pack.analyze(run.resources);
    expect(diagnostics.map((d) => d.policyName)).toEqual(["pgbouncer-enforce-connection-limits"]);
    expect(diagnostics[0].message).toContain("pgbouncer accepts max_client_conn 200, but the app can open 254 client connections");
  });

  it("reports config-driven advisories without blocking", async () => {
    const run = await runOrion({ stage: "scale", monthlyBudgetEur: 20, clients: 30 });
    const diagnostics = await pack.analyze(run.resources);
    expect(diagnostics.map((d) => [d.policyName, d.enforcementLevel])).toEqual([
      ["stage-enforce-monthly-budget", "advisory"],
      ["stage-enforce-load-fit", "advisory"],
    ]);
  });

  it("takes policy config as `pulumi preview` passes it", async () => {
    await pack.configure({ "service-disallow-oversized-limit": { maxShareOfRamPct: 40 } });
    const diagnostics = await pack.analyze((await runOrion({ stage: "scale" })).resources);
    await pack.configure({ "service-disallow-oversized-limit": { maxShareOfRamPct: 50 } });
    expect(diagnostics.map((d) => d.message.split("\n").pop())).toEqual(["server db (cax21, 8,192 MB RAM): db has a limit of 4,096 MB, above 40% of RAM (3,276 MB)"]);
  });
});
