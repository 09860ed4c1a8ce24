import { parse } from "yaml";
import { SERVER_TYPES } from "../../model/catalog";
import { parseConfig } from "../../model/config";
import { connectionBudget } from "../../model/connections";
import { plan } from "../../model/plan";
import { renderCompose } from "../../model/render/compose";
import { HOST_RESERVE_MB, STAGE_NAMES, STAGES } from "../../model/stages";
import { parseMemoryMb } from "../../model/units";
import { errorOf, limits, planFor, server } from "../helpers";

describe("every stage", () => {
  it.each(STAGE_NAMES)(
    "%s fits every server: the compose file's mem_limit x replicas + host reserve <= RAM",
    (stage) => {
      const p = planFor(stage);
      for (const s of p.servers) {
        // Read back from the file the server gets, not from the plan's own sums.
        // Caddy runs inside the host reserve (the guide's "OS + Caddy + ..."), so it is not one of the containers.
        const compose = parse(renderCompose(p, s)).services as Record<
          string,
          { mem_limit: string; deploy?: { replicas: number } }
        >;
        const services = Object.entries(compose)
          .filter(([name]) => name !== "caddy")
          .map(([, x]) => x);
        const containersMb = services.reduce(
          (sum, x) => sum + parseMemoryMb(x.mem_limit)! * (x.deploy?.replicas ?? 1),
          0,
        );
        expect({
          server: s.name,
          containersMb,
          fits: containersMb + HOST_RESERVE_MB[s.role].mb <= SERVER_TYPES[s.type].ramMb,
        }).toEqual({ server: s.name, containersMb: s.containersMb, fits: true });
      }
    },
  );

  it.each(STAGE_NAMES)("%s fits with every server type it allows", (stage) => {
    for (const spec of STAGES[stage].servers) {
      for (const type of spec.allowedTypes) {
        const p = plan(parseConfig({ stage, serverTypes: { [spec.role]: type } }));
        for (const s of p.servers.filter((x) => x.role === spec.role)) expect(s.headroomMb).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it.each([
    // Servers at the guide's prices + 20 GB volumes at 0.044 EUR/GB + 20% Hetzner backups of the servers that keep data on their own
    // disk (never the db servers: their data is on a volume) + the lb11 at 5.39 EUR + Object Storage's 5.00 EUR base price.
    ["launch", 4.5, 0.88, 0, 0.9, 5, 11.28],
    ["early-growth", 7.5, 0.88, 0, 1.5, 5, 14.88],
    ["growth", 7.5, 0.88, 0, 1.5, 5, 14.88],
    ["scale", 14.5 + 7.5, 0.88, 0, 2.9, 5, 30.78],
    ["enterprise", 14.5 + 7.5 + 14.5 + 7.5 + 4.5 + 4.5 + 7.5 + 7.5, 1.76, 5.39, 2.9 + 0.9 + 0.9, 5, 84.85],
  ] as const)(
    "%s costs %f EUR in servers, %f in volumes, %f for the load balancer, %f in server backups, %f in Object Storage: %f EUR a month",
    (stage, servers, volumes, lb, backups, objectStorage, total) => {
      const { cost } = planFor(stage);
      expect(
        [
          cost.serversEur,
          cost.volumesEur,
          cost.loadBalancerEur,
          cost.backupsEur,
          cost.objectStorageEur,
          cost.totalEur,
        ].map((x) => Math.round(x * 100)),
      ).toEqual([servers, volumes, lb, backups, objectStorage, total].map((x) => Math.round(x * 100)));
    },
  );

  it.each(STAGE_NAMES)("%s runs node-exporter and cAdvisor on every server", (stage) => {
    for (const s of planFor(stage).servers)
      expect(Object.keys(limits(s))).toEqual(expect.arrayContaining(["node-exporter", "cadvisor"]));
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
    expect(STAGE_NAMES.map((stage) => planFor(stage).volumes.find((v) => v.name === "pgdata")?.mountPath)).toEqual(
      Array(5).fill("/mnt/pgdata"),
    );
  });
});

describe("early growth", () => {
  const p = planFor("early-growth");
  it("rescales the same app server to a CAX21 with db, api and celery-worker at 1 GB", () => {
    expect(p.servers.map((s) => [s.name, s.type])).toEqual([["app", "cax21"]]);
    expect(limits(server(p, "app"))).toMatchObject({
      db: 1024,
      api: 1024,
      "celery-worker": 1024,
      redis: 128,
      "celery-beat": 256,
    });
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
    const p = planFor("growth");
    // The same servers with the guide's SQLAlchemy default on the API: the model must count them over the limit.
    const withGuidePool = p.servers.map((s) => ({
      ...s,
      services: s.services.map((x) => (x.api ? { ...x, api: { ...x.api, dbPoolSize: 10, dbMaxOverflow: 20 } } : x)),
    }));
    expect(connectionBudget(withGuidePool).clients.find((c) => c.source.startsWith("api"))!.total).toBe(120);
    expect(connectionBudget(withGuidePool).clientTotal).toBeGreaterThan(100);
    expect(p.connections.clients.find((c) => c.source.startsWith("api"))!.total).toBe(40);
    expect(p.connections.clientTotal).toBeLessThanOrEqual(100);
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
    expect(
      server(planFor("scale", { replicas: { "celery-worker": 3 } }), "app").services.find(
        (s) => s.name === "celery-worker",
      )!.replicas,
    ).toBe(3);
    expect(() => planFor("scale", { replicas: { "celery-worker": 4 } })).toThrow(
      /orion:replicas.celery-worker 4 is outside what the stage supports; use 2 to 3/,
    );
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
  const withService = (name: string) =>
    p.servers.filter((s) => s.services.some((x) => x.name === name)).map((s) => s.name);
  it("runs the API on at least 2 servers behind a load balancer", () => {
    expect(withService("api").length).toBeGreaterThanOrEqual(2);
    // Its one target is the Caddy on the app server, which holds the certificate and spreads requests over every API server.
    expect(p.loadBalancer).toMatchObject({ tls: "caddy", targets: ["app"] });
    expect(server(p, "app").caddy!.upstreamServers).toEqual(withService("api"));
    expect(p.servers.filter((s) => s.caddy).map((s) => s.name)).toEqual(["app"]);
  });
  it("with a Hetzner managed certificate, targets every API server, each with a Caddy answering in plain HTTP", () => {
    const managed = planFor("enterprise", { domain: "orion.example.com", loadBalancerTls: "hetzner-managed" });
    expect(managed.loadBalancer).toMatchObject({
      tls: "hetzner-managed",
      targets: withService("api"),
      services: [{ protocol: "https", listenPort: 443, destinationPort: 80 }],
    });
    expect(managed.servers.filter((s) => s.caddy).map((s) => [s.name, s.caddy!.mode])).toEqual(
      withService("api").map((name) => [name, "behind-load-balancer"]),
    );
  });
  it("refuses a managed certificate without a domain, naming the keys to set", () => {
    expect(errorOf(() => planFor("enterprise", { loadBalancerTls: "hetzner-managed" }))).toBe(
      'orion:loadBalancerTls "hetzner-managed" needs orion:domain (a domain whose DNS zone Hetzner hosts); set orion:domain, or use caddy',
    );
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
    expect(bigger.servers.map((s) => s.name)).toEqual([
      "app",
      "api-2",
      "api-3",
      "db",
      "db-replica-1",
      "db-replica-2",
      "redis",
      "redis-replica",
      "worker-1",
      "worker-2",
      "worker-3",
    ]);
    expect(() => planFor("enterprise", { apiServers: 1 })).toThrow(
      /orion:apiServers 1 is outside what the stage supports; use 2 to 10/,
    );
  });
});
