import { parse } from "yaml";
import { ConfigError, parseConfig } from "../../model/config";
import { renderCompose } from "../../model/render/compose";
import { renderServerFiles } from "../../model/render/server-files";
import { run, writeTree, COMPOSE_ENV } from "./tools";
import { errorOf, planFor, server } from "../helpers";

describe("replicas given as text, as `pulumi config set` stores them", () => {
  it.each(["3", "3.0", " 3 "])("take %j as the number 3 in the plan and in the compose file", (given) => {
    const p = planFor("scale", { replicas: { "celery-worker": given } });
    const worker = server(p, "app").services.find((s) => s.name === "celery-worker")!;
    expect(worker.replicas).toBe(3);
    expect(worker.totalMb).toBe(3 * 1024);
    expect(parse(renderCompose(p, server(p, "app"))).services["celery-worker"].deploy).toEqual({ replicas: 3 });
  });

  it("render a compose file that Docker Compose v2 accepts", () => {
    const p = planFor("scale", { replicas: '{"celery-worker":"3.0"}' });
    const dir = writeTree({ ...renderServerFiles(p, server(p, "app")), ".env": `${COMPOSE_ENV}\n` });
    const { status, output } = run(
      "docker",
      ["compose", "-f", "compose.yaml", "--profile", "full", "config", "--format", "json"],
      { cwd: dir },
    );
    expect({ status, error: status === 0 ? "" : output }).toEqual({ status: 0, error: "" });
    expect(JSON.parse(output).services["celery-worker"].deploy.replicas).toBe(3);
  });

  it("refuse a fraction, naming the key", () => {
    expect(errorOf(() => parseConfig({ replicas: { "celery-worker": "2.5" } }))).toBe(
      'orion:replicas.celery-worker "2.5" is not a whole number; use a whole number of replicas, at least 1',
    );
  });
});

describe("server types and locations as Hetzner's console prints them", () => {
  it("accepts CAX21 and FSN1 in capitals", () => {
    const config = parseConfig({ stage: "growth", serverTypes: { app: "CAX31" }, location: "NBG1" });
    expect(config.serverTypes).toEqual({ app: "cax31" });
    expect(config.location).toBe("nbg1");
    expect(server(planFor("growth", { serverTypes: { app: "CAX31" } }), "app").type).toBe("cax31");
  });
  it("still refuses an x86 type, in any case, and says why", () => {
    expect(errorOf(() => parseConfig({ serverTypes: { app: "CX22" } }))).toBe(
      'orion:serverTypes.app "CX22" is not an ARM (CAX) server type; use one of cax11, cax21, cax31, cax41',
    );
  });
});

describe("a typo gets a suggestion instead of the list of every key", () => {
  it.each([
    [{ stagee: "growth" }, "orion:stagee is not a setting of orion-infra; did you mean orion:stage?"],
    [
      { memoryLimit: { db: "1g" } },
      "orion:memoryLimit is not a setting of orion-infra; did you mean orion:memoryLimits?",
    ],
    [{ uvicornworkers: 4 }, "orion:uvicornworkers is not a setting of orion-infra; did you mean orion:uvicornWorkers?"],
    [
      { location: "fns1" },
      'orion:location "fns1" is not a Hetzner location with ARM servers; did you mean fsn1? (use one of fsn1, nbg1, hel1)',
    ],
    [
      { serverTypes: { app: "cax12" } },
      'orion:serverTypes.app "cax12" is not a Hetzner server type; did you mean cax11? (use one of cax11, cax21, cax31, cax41)',
    ],
  ])("%j", (raw, message) => {
    expect(errorOf(() => parseConfig(raw))).toBe(message);
  });
  it("suggests a service for an underscore or a missing letter", () => {
    expect(errorOf(() => parseConfig({ memoryLimits: { celery_worker: "1g" } }))).toMatch(
      /^orion:memoryLimits.celery_worker is not a service; did you mean celery-worker\?/,
    );
    expect(errorOf(() => parseConfig({ replicas: { "celery-workr": 2 } }))).toMatch(
      /^orion:replicas.celery-workr is not a service; did you mean celery-worker\?/,
    );
  });
  it("lists the keys when nothing is close", () => {
    expect(errorOf(() => parseConfig({ colour: "blue" }))).toMatch(
      /^orion:colour is not a setting of orion-infra; use one of stage, location, /,
    );
  });
});

describe("memory limits below what a service can run in are refused, not rendered", () => {
  const problemsOf = (stage: Parameters<typeof planFor>[0], raw: Record<string, unknown>) => {
    try {
      planFor(stage, raw);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    throw new Error("the plan accepted it");
  };

  it("celery-worker at 64m would render a negative --max-memory-per-child", () => {
    expect(problemsOf("launch", { memoryLimits: { "celery-worker": "64m" } })).toEqual([
      expect.objectContaining({
        key: "orion:memoryLimits.celery-worker",
        message: expect.stringMatching(/^is 64 MB on app, below its floor of 320 MB: .*; use 320m or more$/),
      }),
    ]);
  });

  it("db at 1m would render shared_buffers = 0MB; PostgreSQL with 100 connections needs 290 MB", () => {
    // 100 connections x 2 sorts x 1 MB must remain after a quarter for shared_buffers and 16 MB for maintenance: 290 - 72 - 18 = 200.
    expect(problemsOf("launch", { memoryLimits: { db: "1m" } })).toEqual([
      expect.objectContaining({
        key: "orion:memoryLimits.db",
        message: expect.stringContaining("below its floor of 290 MB"),
      }),
    ]);
    expect(problemsOf("launch", { memoryLimits: { db: "289m" } })).toHaveLength(1);
    expect(
      server(planFor("launch", { memoryLimits: { db: "290m" } }), "app").services.find((s) => s.name === "db")!
        .memoryLimitMb,
    ).toBe(290);
  });

  it("behind PgBouncer the db needs less: 28 connections in growth", () => {
    expect(problemsOf("growth", { memoryLimits: { db: "64m" } })[0].message).toContain(
      "PostgreSQL with max_connections 28",
    );
  });

  it("Redis just above maxmemory has no room for itself: 101m for 100 MB is refused, 128m is the guide's", () => {
    expect(problemsOf("launch", { memoryLimits: { redis: "101m" } })).toEqual([
      expect.objectContaining({
        key: "orion:memoryLimits.redis",
        message: expect.stringContaining("below its floor of 128 MB"),
      }),
    ]);
    expect(problemsOf("enterprise", { memoryLimits: { redis: "900m" } })[0].message).toContain(
      "Redis keeps maxmemory 800 MB",
    );
  });

  it("more Uvicorn workers need a larger api limit", () => {
    expect(problemsOf("growth", { uvicornWorkers: 9 })).toEqual([
      expect.objectContaining({ key: "orion:memoryLimits.api", message: expect.stringContaining("9 Uvicorn workers") }),
    ]);
  });

  it("flower and celery-beat stay at the 256 MB the guide raised them to after an OOM", () => {
    expect(problemsOf("launch", { memoryLimits: { flower: "128m", "celery-beat": "200m" } }).map((p) => p.key)).toEqual(
      ["orion:memoryLimits.celery-beat", "orion:memoryLimits.flower"],
    );
  });
});
