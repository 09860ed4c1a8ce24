import { SERVER_TYPES } from "../../model/catalog";
import { parseConfig } from "../../model/config";
import { plan } from "../../model/plan";
import { STAGE_NAMES, STAGES } from "../../model/stages";
import { errorOf, limits, planFor, server } from "../helpers";

describe("every stage", () => {
  it.each(STAGE_NAMES)("%s fits every server: limits x replicas + host reserve <= RAM", (stage) => {
    for (const s of planFor(stage).servers) {
      expect(s.containersMb + s.hostReserveMb).toBeLessThanOrEqual(s.ramMb);
      expect(s.headroomMb).toBe(s.ramMb - s.containersMb - s.hostReserveMb);
    }
  });

  it.each(STAGE_NAMES)("%s fits with every server type it allows", (stage) => {
    for (const spec of STAGES[stage].servers) {
      for (const type of spec.allowedTypes) {
        const p = plan(parseConfig({ stage, serverTypes: { [spec.role]: type } }));
        for (const s of p.servers.filter((x) => x.role === spec.role)) expect(s.headroomMb).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it.each(STAGE_NAMES)("%s costs no more than the guide's prices for the plans it uses", (stage) => {
    const p = planFor(stage);
    const guidePrice = p.servers.reduce((sum, s) => sum + SERVER_TYPES[s.type].priceEurMonthly, 0);
    expect(p.cost.serversEur).toBeCloseTo(guidePrice, 2);
    expect(p.cost.totalEur).toBeCloseTo(p.cost.serversEur + p.cost.volumesEur + p.cost.loadBalancerEur + p.cost.backupsEur, 2);
  });

  it.each(STAGE_NAMES)("%s runs node-exporter and cAdvisor on every server", (stage) => {
    for (const s of planFor(stage).servers) expect(Object.keys(limits(s))).toEqual(expect.arrayContaining(["node-exporter", "cadvisor"]));
  });

  it.each(STAGE_NAMES)("%s keeps Redis maxmemory below its container limit with a broker-safe policy", (stage) => {
    for (const s of planFor(stage).servers) {
      for (const r of s.services.filter((x) => x.redis)) {
        expect(r.redis!.maxmemoryMb).toBeLessThan(r.memoryLimitMb);
        expect(r.redis!.maxmemoryPolicy).toBe("volatile-lru");
      }
    }
  });

  it.each(STAGE_NAMES)("%s keeps the app's client connections within PgBouncer's max_client_conn", (stage) => {
    const c = planFor(stage).connections;
    if (c.pgbouncer) expect(c.clientTotal).toBeLessThanOrEqual(c.pgbouncer.maxClientConn);
    expect(c.serverConnections).toBeLessThanOrEqual(c.maxConnections);
  });

  it("names servers by role, never by stage, so moving up a stage keeps their Pulumi names", () => {
    for (const stage of STAGE_NAMES) for (const s of planFor(stage).servers) expect(s.name).not.toContain(stage);
    expect(STAGE_NAMES.map((stage) => planFor(stage).volumes.find((v) => v.name === "pgdata")?.mountPath)).toEqual(Array(5).fill("/mnt/pgdata"));
  });
});

describe("early growth", () => {
  const p = planFor("early-growth");
  it("rescales the same app server to a CAX21 with db, api and celery-worker at 1 GB", () => {
    expect(p.servers.map((s) => [s.name, s.type])).toEqual([["app", "cax21"]]);
    expect(limits(server(p, "app"))).toMatchObject({ db: 1024, api: 1024, "celery-worker": 1024, redis: 128, "celery-beat": 256 });
  });
});

describe("growth", () => {
  const app = server(planFor("growth"), "app");
  it("adds PgBouncer at 64 MB with transaction pooling, 100 clients and a pool of 20", () => {
    const pgbouncer = app.services.find((s) => s.name === "pgbouncer")!;
    expect(pgbouncer.memoryLimitMb).toBe(64);
    expect(pgbouncer.pgbouncer).toEqual({ poolMode: "transaction", maxClientConn: 100, defaultPoolSize: 20 });
  });
  it("runs 4 Uvicorn workers and caps Redis at 100 MB", () => {
    expect(app.services.find((s) => s.name === "api")!.api!.uvicornWorkers).toBe(4);
    expect(app.services.find((s) => s.name === "redis")!.redis!.maxmemoryMb).toBe(100);
  });
  it("runs on a CAX21 by default and allows a CAX31", () => {
    expect(app.type).toBe("cax21");
    expect(server(planFor("growth", { serverTypes: { app: "cax31" } }), "app").type).toBe("cax31");
  });
  it("shrinks the app's pool so 4 workers stay under max_client_conn 100, where the guide's 10 + 20 would open 120", () => {
    const api = app.services.find((s) => s.name === "api")!.api!;
    expect(4 * (10 + 20)).toBeGreaterThan(100);
    expect(api.uvicornWorkers * (api.dbPoolSize + api.dbMaxOverflow)).toBeLessThanOrEqual(100);
  });
});

describe("scale", () => {
  const p = planFor("scale");
  it("moves PostgreSQL to its own CAX21 and the app server to a CAX31", () => {
    expect(p.servers.map((s) => [s.name, s.type])).toEqual([
      ["app", "cax31"],
      ["db", "cax21"],
    ]);
    expect(Object.keys(limits(server(p, "app")))).not.toContain("db");
    expect(Object.keys(limits(server(p, "db")))).toContain("db");
  });
  it("keeps Redis on the app server (latency-sensitive)", () => {
    expect(Object.keys(limits(server(p, "app")))).toContain("redis");
  });
  it("runs 2 celery-worker replicas and allows 3, not 4", () => {
    expect(server(p, "app").services.find((s) => s.name === "celery-worker")!.replicas).toBe(2);
    expect(server(planFor("scale", { replicas: { "celery-worker": 3 } }), "app").services.find((s) => s.name === "celery-worker")!.replicas).toBe(3);
    expect(() => planFor("scale", { replicas: { "celery-worker": 4 } })).toThrow(/orion:replicas.celery-worker 4 is outside what the stage supports; use 2 to 3/);
  });
  it("allows a CAX11 database server with a smaller db limit", () => {
    const db = server(planFor("scale", { serverTypes: { db: "cax11" } }), "db");
    expect(db.type).toBe("cax11");
    expect(limits(db).db).toBe(2048);
  });
  it("attaches the pgdata volume to the db server", () => {
    expect(p.volumes).toEqual([expect.objectContaining({ name: "pgdata", server: "db" })]);
  });
});

describe("enterprise", () => {
  const p = planFor("enterprise");
  const withService = (name: string) => p.servers.filter((s) => s.services.some((x) => x.name === name)).map((s) => s.name);
  it("runs the API on at least 2 servers behind a load balancer", () => {
    expect(withService("api").length).toBeGreaterThanOrEqual(2);
    // Its one target is the Caddy on the app server, which holds the certificate and spreads requests over every API server.
    expect(p.loadBalancer).toMatchObject({ tls: "caddy", targets: ["app"] });
    expect(server(p, "app").caddy!.upstreamServers).toEqual(withService("api"));
    expect(p.servers.filter((s) => s.caddy).map((s) => s.name)).toEqual(["app"]);
  });
  it("with a Hetzner managed certificate, targets every API server, each with a Caddy answering in plain HTTP", () => {
    const managed = planFor("enterprise", { domain: "orion.example.com", loadBalancerTls: "hetzner-managed" });
    expect(managed.loadBalancer).toMatchObject({ tls: "hetzner-managed", targets: withService("api"), services: [{ protocol: "https", listenPort: 443, destinationPort: 80 }] });
    expect(managed.servers.filter((s) => s.caddy).map((s) => [s.name, s.caddy!.mode])).toEqual(withService("api").map((name) => [name, "behind-load-balancer"]));
  });
  it("refuses a managed certificate without a domain, naming the keys to set", () => {
    expect(errorOf(() => planFor("enterprise", { loadBalancerTls: "hetzner-managed" }))).toBe('orion:loadBalancerTls "hetzner-managed" needs orion:domain (a domain whose DNS zone Hetzner hosts); set orion:domain, or use caddy');
  });
  it("runs a PostgreSQL primary and at least one read replica, each with its own volume", () => {
    expect(withService("db")).toEqual(["db"]);
    expect(withService("db-replica").length).toBeGreaterThanOrEqual(1);
    expect(p.volumes.map((v) => v.name)).toEqual(["pgdata", "pgdata-db-replica-1"]);
  });
  it("runs 3 Redis Sentinels on 3 servers with a quorum of 2", () => {
    expect(withService("redis-sentinel")).toEqual(["app", "redis", "redis-replica"]);
    for (const s of p.servers) for (const x of s.services.filter((y) => y.sentinel)) expect(x.sentinel!.quorum).toBe(2);
  });
  it("runs Celery on worker servers and monitoring on the app server", () => {
    expect(withService("celery-worker")).toEqual(["worker-1", "worker-2"]);
    expect(withService("prometheus")).toEqual(["app"]);
  });
  it("takes more API servers, workers and replicas from config", () => {
    const bigger = planFor("enterprise", { apiServers: 3, workerServers: 3, dbReplicas: 2 });
    expect(bigger.servers.map((s) => s.name)).toEqual(["app", "api-2", "api-3", "db", "db-replica-1", "db-replica-2", "redis", "redis-replica", "worker-1", "worker-2", "worker-3"]);
    expect(() => planFor("enterprise", { apiServers: 1 })).toThrow(/orion:apiServers 1 is outside what the stage supports; use 2 to 10/);
  });
});
