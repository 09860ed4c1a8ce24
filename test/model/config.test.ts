import { parseConfig } from "../../model/config";
import { errorOf, planFor } from "../helpers";

describe("config errors name the key, the value and what is accepted", () => {
  it("rejects a misspelled stage", () => {
    expect(errorOf(() => parseConfig({ stage: "grwoth" }))).toBe(
      'orion:stage "grwoth" is not a stage; did you mean growth? (use one of launch, early-growth, growth, scale, enterprise)',
    );
  });
  it("rejects a server type that is not ARM", () => {
    expect(errorOf(() => parseConfig({ serverTypes: { app: "cx22" } }))).toBe(
      'orion:serverTypes.app "cx22" is not an ARM (CAX) server type; use one of cax11, cax21, cax31, cax41',
    );
  });
  it("rejects a location without ARM servers", () => {
    expect(errorOf(() => parseConfig({ location: "ash" }))).toBe(
      'orion:location "ash" offers no ARM (CAX) servers; use one of fsn1, nbg1, hel1',
    );
    expect(errorOf(() => parseConfig({ location: "mars1" }))).toMatch(
      /orion:location "mars1" is not a Hetzner location with ARM servers/,
    );
  });
  it("rejects a bad memory unit", () => {
    expect(errorOf(() => parseConfig({ memoryLimits: { db: "512k" } }))).toBe(
      'orion:memoryLimits.db "512k" is not a memory size; use a number of MB (512) or a compose size such as 512m or 1g',
    );
  });
  it("accepts 512m, 1g, 1.5g and plain MB", () => {
    expect(
      parseConfig({ memoryLimits: { db: "512m", api: "1g", "celery-worker": "1.5g", redis: 256 } }).memoryLimitsMb,
    ).toEqual({ db: 512, api: 1024, "celery-worker": 1536, redis: 256 });
  });
  it("reports every problem at once", () => {
    const message = errorOf(() =>
      parseConfig({
        stage: "grwoth",
        location: "ash",
        uvicornWorkers: "four",
        adminCidrs: ["1.2.3.4"],
        appImage: "orion:latest",
        color: "blue",
      }),
    );
    expect(message).toMatch(/^6 problems in the config:/);
    for (const key of [
      "orion:stage",
      "orion:location",
      "orion:uvicornWorkers",
      "orion:adminCidrs[0]",
      "orion:appImage",
      "orion:color",
    ])
      expect(message).toContain(`  - ${key} `);
  });
  it("reads values as Pulumi stores them: text, JSON text and unset markers", () => {
    const config = parseConfig({
      uvicornWorkers: "4",
      memoryLimits: '{"db":"1g"}',
      adminCidrs: '["203.0.113.7/32"]',
      backups: "false",
      domain: "",
      apiServers: 0,
    });
    expect(config).toMatchObject({
      uvicornWorkers: 4,
      memoryLimitsMb: { db: 1024 },
      adminCidrs: ["203.0.113.7/32"],
      backups: false,
    });
    expect(config.domain).toBeUndefined();
    expect(config.apiServers).toBeUndefined();
  });
});

describe("plan errors", () => {
  it("fails an override that overflows, naming the server, its RAM and the overflow in MB", () => {
    expect(errorOf(() => planFor("launch", { memoryLimits: { "celery-worker": "3g" } }))).toBe(
      "server app (cax11, 4,096 MB RAM) overflows by 2,550 MB: containers 5,496 MB + host reserve 1,150 MB = 6,646 MB; lower orion:memoryLimits or orion:replicas for celery-worker",
    );
  });
  it("suggests a larger server where the stage allows one", () => {
    expect(errorOf(() => planFor("growth", { memoryLimits: { db: "6g" } }))).toMatch(
      /choose a larger server with orion:serverTypes.app \(cax31\)/,
    );
  });
  it("refuses Uvicorn workers above the guide's 2 x vCPU + 1", () => {
    expect(errorOf(() => planFor("growth", { uvicornWorkers: 10 }))).toContain(
      "orion:uvicornWorkers 10 is above the guide's 2 x vCPU + 1 = 9 for app (cax21, 4 vCPU); use at most 9",
    );
  });
  it("refuses more client connections than PgBouncer's max_client_conn", () => {
    expect(errorOf(() => planFor("growth", { serverTypes: { app: "cax31" }, uvicornWorkers: 12 }))).toMatch(
      /orion:uvicornWorkers 12 makes the app open up to 130 client connections .* above PgBouncer's max_client_conn 100/,
    );
  });
  it("refuses a Redis limit at or below its maxmemory", () => {
    expect(errorOf(() => planFor("launch", { memoryLimits: { redis: "100m" } }))).toContain(
      "orion:memoryLimits.redis is 100 MB on app, below its floor of 128 MB",
    );
  });
  it("refuses overrides for what the stage does not have", () => {
    expect(
      errorOf(() =>
        planFor("launch", { memoryLimits: { pgbouncer: 128 }, serverTypes: { db: "cax21" }, workerServers: 2 }),
      ),
    ).toMatch(
      /orion:serverTypes.db "cax21" names a role the launch stage does not have[\s\S]*orion:memoryLimits.pgbouncer 128 names a service the launch stage does not run[\s\S]*orion:workerServers 2 is only used by the enterprise stage/,
    );
  });
  it("refuses a server type the stage does not offer for that role", () => {
    expect(errorOf(() => planFor("growth", { serverTypes: { app: "cax11" } }))).toBe(
      'orion:serverTypes.app "cax11" is not offered for the app server in this stage; use one of cax21, cax31',
    );
  });
});

describe("findings", () => {
  it("warns when SSH is closed or open to the world", () => {
    expect(planFor("launch", { backupBucket: "orion-backups" }).findings.map((f) => f.key)).toEqual([
      "orion:adminCidrs",
      "orion:sshPublicKeys",
      "orion:alertEmail",
      "orion:domain",
    ]);
    expect(planFor("launch", { adminCidrs: ["0.0.0.0/0"] }).findings[0].message).toMatch(/whole internet/);
  });
  it("says that without orion:domain the API is not on the internet, and how to reach it", () => {
    const warning = planFor("launch").findings.find((f) => f.key === "orion:domain")!;
    expect(warning.severity).toBe("warning");
    expect(warning.message).toMatch(
      /not on the internet.*ssh -N -L 8000:127\.0\.0\.1:8000 deploy@<app server>.*point its A\/AAAA records at the app server/,
    );
    expect(planFor("enterprise").findings.find((f) => f.key === "orion:domain")!.message).toMatch(
      /records at the load balancer/,
    );
    expect(
      planFor("launch", { domain: "api.orion-shop.de" }).findings.find((f) => f.key === "orion:domain"),
    ).toBeUndefined();
  });
  it("refuses a certificate issuer or load balancer TLS mode it does not know", () => {
    expect(errorOf(() => planFor("launch", { tlsIssuer: "zerossl" }))).toBe(
      'orion:tlsIssuer "zerossl" is not a certificate issuer; use one of letsencrypt, internal',
    );
    expect(errorOf(() => planFor("enterprise", { loadBalancerTls: "passthrough" }))).toBe(
      'orion:loadBalancerTls "passthrough" is not a load balancer TLS mode; use one of caddy, hetzner-managed',
    );
  });
  it("warns that `pulumi up` refuses a stack whose database has no backup bucket", () => {
    expect(planFor("launch").findings).toContainEqual(
      expect.objectContaining({
        severity: "warning",
        blocksUp: true,
        key: "orion:backupBucket",
        message: expect.stringContaining("`pulumi up` refuses to deploy"),
      }),
    );
  });
  it("advises when the stage costs more than the monthly budget", () => {
    expect(planFor("scale", { monthlyBudgetEur: 20 }).findings).toContainEqual(
      expect.objectContaining({ severity: "advisory", key: "orion:monthlyBudgetEur" }),
    );
  });
  it("advises a bigger stage when clients or stores pass the guide's triggers", () => {
    const advice = planFor("launch", { clients: 4, stores: 80 }).findings.find((f) => f.key === "orion:stage");
    expect(advice?.message).toMatch(/4 clients and 80 stores call for growth/);
    expect(planFor("growth", { clients: 4, stores: 80 }).findings.find((f) => f.key === "orion:stage")).toBeUndefined();
  });
});
