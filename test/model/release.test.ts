import { parseConfig } from "../../model/config";
import { plan } from "../../model/plan";
import { describeRelease } from "../../model/release";
import { errorOf, planFor, server } from "../helpers";

const releaseOf = (p: ReturnType<typeof planFor>, name: string) => p.releases.find((r) => r.server === name)!;

describe("a release fits the memory budget on every stage", () => {
  it("launch: a second API container would overflow the CAX11, so celery-worker and celery-beat lend their 768 MB and the peak stays at 3,830 of 4,096 MB", () => {
    const p = planFor("launch");
    const app = server(p, "app");
    const r = releaseOf(p, "app");
    // The guide's budget with pgBackRest (32 MB) leaves 10 MB; the API needs 512 MB beside the old one.
    expect(app.headroomMb).toBe(10);
    expect(r.api).toEqual({
      strategy: "borrow",
      surgeMb: 512,
      stoppedFirst: ["celery-worker", "celery-beat"],
      freedMb: 768,
      peakMb: 3830,
    });
    expect(r.api!.peakMb).toBeLessThanOrEqual(app.ramMb);
    expect(app.containersMb + app.hostReserveMb + r.api!.surgeMb).toBeGreaterThan(app.ramMb);
    expect(describeRelease(r, app)).toBe(
      "release: celery-worker and celery-beat stop first (warm) and lend their 768 MB to a second API container (512 MB); peak 3,830 MB of 4,096 MB",
    );
  });

  it.each(["early-growth", "growth", "scale"] as const)(
    "%s: the headroom holds a second API container beside the old one",
    (stage) => {
      const p = planFor(stage);
      const app = server(p, "app");
      const r = releaseOf(p, "app");
      expect(r.api!.strategy).toBe("surge");
      expect(r.api!.peakMb).toBe(
        app.containersMb + app.hostReserveMb + app.services.find((s) => s.name === "api")!.memoryLimitMb,
      );
      expect(r.api!.peakMb).toBeLessThanOrEqual(app.ramMb);
    },
  );

  it("enterprise: the app server surges behind its own Caddy; the other API servers restart one at a time behind it", () => {
    const p = planFor("enterprise", { apiServers: 3 });
    expect(releaseOf(p, "app").api!.strategy).toBe("surge");
    expect(releaseOf(p, "api-2").api!.strategy).toBe("rolling");
    expect(releaseOf(p, "api-2").after).toEqual(["db", "app"]);
    expect(releaseOf(p, "api-3").after).toEqual(["db", "api-2"]);
  });

  it("enterprise with Hetzner-managed TLS: every API server has its own Caddy and surges", () => {
    const p = planFor("enterprise", { loadBalancerTls: "hetzner-managed", domain: "api.example.com" });
    expect(releaseOf(p, "api-2").api!.strategy).toBe("surge");
  });

  it("refuses a configuration in which no release fits, naming the figures and the fix", () => {
    // 768 MB of API, the worker at its 320 MB floor, Grafana at 128 MB to fit: headroom 10 + 320 + 256 = 586 MB < 768 MB.
    expect(
      errorOf(() => planFor("launch", { memoryLimits: { api: "768m", "celery-worker": "320m", grafana: "128m" } })),
    ).toBe(
      "server app cannot release the API without dropping requests: a second API container needs 768 MB for a moment, and the headroom 10 MB plus what celery-worker and celery-beat free (576 MB) gives 586 MB; lower orion:memoryLimits.api or another limit on this server, or choose a larger server type",
    );
  });
});

describe("deploy order of a release", () => {
  it("scale: the database server first (its role password), then the app server (the migration)", () => {
    const p = planFor("scale");
    expect(releaseOf(p, "db").after).toEqual([]);
    expect(releaseOf(p, "app").after).toEqual(["db"]);
    expect(releaseOf(p, "app").migrates).toBe(true);
    expect(releaseOf(p, "db").migrates).toBe(false);
  });
  it("enterprise: workers wait for the migration on the app server, replicas for the primary", () => {
    const p = planFor("enterprise");
    expect(releaseOf(p, "worker-1").after).toEqual(["db", "app"]);
    expect(releaseOf(p, "db-replica-1").after).toEqual(["db"]);
    expect(releaseOf(p, "redis").after).toEqual([]);
  });
});

describe("the app contract's settings", () => {
  it("defaults keep the commands the compose files always had", () => {
    expect(planFor("launch").app).toEqual({
      apiModule: "main:app",
      celeryApp: "app.celery_app",
      healthPath: "/health",
      migrateCommand: undefined,
      envNames: [],
    });
  });
  it("takes the migration command and the app's variables", () => {
    const p = plan({
      ...parseConfig({ appMigrateCommand: "alembic upgrade head", appEnv: { LOG_LEVEL: "info" } }),
      appSecretNames: ["SECRET_KEY"],
    });
    expect(p.app).toMatchObject({ migrateCommand: "alembic upgrade head", envNames: ["LOG_LEVEL", "SECRET_KEY"] });
  });
  it("refuses variable names the platform sets, and bad values", () => {
    expect(
      errorOf(() => parseConfig({ appEnv: { DATABASE_URL: "x", "log-level": "info", ORION_X: "1", NOTE: "it's" } })),
    ).toMatch(
      /orion:appEnv.DATABASE_URL "DATABASE_URL" is set by the platform[\s\S]*orion:appEnv.log-level "log-level" is not an environment variable name[\s\S]*orion:appEnv.ORION_X "ORION_X" starts with ORION_[\s\S]*orion:appEnv.NOTE "it's" contains a line break or a '/,
    );
    expect(
      errorOf(() =>
        plan({ ...parseConfig({ appEnv: { SECRET_KEY: "x" } }), appSecretNames: ["SECRET_KEY", "REDIS_URL"] }),
      ),
    ).toMatch(
      /orion:appSecrets.SECRET_KEY is also set in orion:appEnv[\s\S]*orion:appSecrets.REDIS_URL is set by the platform/,
    );
  });
  it("refuses an API module, health path or migration command it could not run", () => {
    expect(
      errorOf(() => parseConfig({ appApiModule: "main", appHealthPath: "health", appMigrateCommand: "echo 'x'" })),
    ).toMatch(
      /orion:appApiModule "main" is not an ASGI app[\s\S]*orion:appHealthPath "health" is not a URL path[\s\S]*orion:appMigrateCommand "echo 'x'" contains a line break or a '/,
    );
  });
  it("refuses orion:appSecrets in plain text", () => {
    expect(errorOf(() => parseConfig({ appSecrets: '{"SECRET_KEY":"x"}' }))).toContain(
      "orion:appSecrets is a secret but is stored in plain text",
    );
  });
});
