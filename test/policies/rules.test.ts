import { apiEnforceUvicornWorkers } from "../../policies/rules/api-enforce-uvicorn-workers";
import { deployEnforceBudgetMatch } from "../../policies/rules/deploy-enforce-budget-match";
import { pgbouncerEnforceConnectionLimits } from "../../policies/rules/pgbouncer-enforce-connection-limits";
import { redisConfigureMaxmemory } from "../../policies/rules/redis-configure-maxmemory";
import { resourceDisallowPlainSecret } from "../../policies/rules/resource-disallow-plain-secret";
import { resourceDisallowConfigSecret } from "../../policies/rules/resource-disallow-config-secret";
import { serverEnforceReleaseFit } from "../../policies/rules/server-enforce-release-fit";
import { serverDisallowNonArm } from "../../policies/rules/server-disallow-non-arm";
import { serverEnforceMemoryBudget } from "../../policies/rules/server-enforce-memory-budget";
import { serviceDisallowOversizedLimit } from "../../policies/rules/service-disallow-oversized-limit";
import { serviceDisallowPublicPort } from "../../policies/rules/service-disallow-public-port";
import { stageEnforceLoadFit } from "../../policies/rules/stage-enforce-load-fit";
import { stageEnforceMonthlyBudget } from "../../policies/rules/stage-enforce-monthly-budget";
import { statefulEnforceProtection } from "../../policies/rules/stateful-enforce-protection";
import { POLICIES } from "../../policies/rules";
import { STAGE_NAMES, type StageName } from "../../model/stages";
import type { MockRun } from "../../preview/mock-run";
import { OFFLINE_SECRETS, runOrion } from "../../preview/offline";
import { stackViolations, tamper, tamperService, violations } from "./support";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

const SERVER = "hcloud:index/server:Server";

const runs = {} as Record<StageName, MockRun>;
beforeAll(async () => {
  for (const stage of STAGE_NAMES) runs[stage] = await runOrion({ stage });
});

const all = (run: MockRun) =>
  POLICIES.flatMap((p) => ("validateStack" in p ? stackViolations(p as StackValidationPolicy, run) : violations(p as ResourceValidationPolicy, run)).map((m) => `${p.name}: ${m}`));

describe("the compliant baseline", () => {
  it.each(STAGE_NAMES)("%s passes every policy", (stage) => {
    expect(all(runs[stage])).toEqual([]);
  });
});

describe("server-enforce-memory-budget", () => {
  it("blocks celery-worker at 3 GB on the launch CAX11, naming server, service, figures and RAM", () => {
    expect(violations(serverEnforceMemoryBudget, tamperService(runs.launch, "app", "celery-worker", { memoryLimitMb: 3072 }))).toEqual([
      "server app (cax11, 4,096 MB RAM): containers 5,464 MB + host reserve 1,150 MB = 6,614 MB, 2,518 MB over; largest is celery-worker at 3,072 MB x 1",
    ]);
  });
  it("counts replicas", () => {
    expect(violations(serverEnforceMemoryBudget, tamperService(runs.launch, "app", "celery-worker", { replicas: 2 }, false))).toEqual([
      "server app (cax11, 4,096 MB RAM): containers 3,416 MB + host reserve 1,150 MB = 4,566 MB, 470 MB over; largest is celery-worker at 512 MB x 2",
    ]);
  });
});

describe("service-disallow-oversized-limit", () => {
  it("blocks one container above half of its server's RAM", () => {
    expect(violations(serviceDisallowOversizedLimit, tamperService(runs.scale, "db", "db", { memoryLimitMb: 5120 }))).toEqual([
      "server db (cax21, 8,192 MB RAM): db has a limit of 5,120 MB, above 50% of RAM (4,096 MB)",
    ]);
  });
  it("takes the share from policy config", () => {
    expect(violations(serviceDisallowOversizedLimit, runs.scale, { maxShareOfRamPct: 40 })).toEqual(["server db (cax21, 8,192 MB RAM): db has a limit of 4,096 MB, above 40% of RAM (3,276 MB)"]);
  });
});

describe("deploy-enforce-budget-match", () => {
  it("blocks a compose file whose limit differs from the declared budget", () => {
    const run = tamper(runs.launch, "app-deploy", (inputs) => {
      inputs.create = String(inputs.create).replace(/(\n  celery-worker:\n(?:    .*\n)*?    mem_limit: )\S+/, "$13g");
    });
    expect(violations(deployEnforceBudgetMatch, run)).toEqual(["server app: compose runs celery-worker with mem_limit 3,072 MB x 1, but its budget says 512 MB x 1"]);
  });
  it("blocks a service that compose runs but the budget does not declare", () => {
    const run = tamper(runs.launch, "app-deploy", (inputs) => {
      const budget = (inputs.triggers as { services: { name: string }[] }[])[0];
      budget.services = budget.services.filter((s) => s.name !== "flower");
    });
    expect(violations(deployEnforceBudgetMatch, run)).toEqual(["server app: compose runs flower, which its budget does not declare"]);
  });
});

describe("redis-configure-maxmemory", () => {
  it("blocks the guide's allkeys-lru on the broker", () => {
    expect(violations(redisConfigureMaxmemory, tamperService(runs.growth, "app", "redis", { redisMaxmemoryPolicy: "allkeys-lru" }))).toEqual([
      "server app: redis maxmemory-policy allkeys-lru can evict Celery's queue keys, which have no TTL, and drop tasks; use volatile-lru (evicts only keys with a TTL) or noeviction",
    ]);
  });
  it("blocks maxmemory at or above the container limit", () => {
    expect(violations(redisConfigureMaxmemory, tamperService(runs.growth, "app", "redis", { redisMaxmemoryMb: 128 }))).toEqual([
      "server app: redis maxmemory 128 MB is not below its container limit 128 MB; Redis needs room above maxmemory for buffers and rewrites",
    ]);
  });
  it("blocks Redis without maxmemory", () => {
    expect(violations(redisConfigureMaxmemory, tamperService(runs.growth, "app", "redis", { redisMaxmemoryMb: undefined }))).toEqual([
      "server app: redis has no maxmemory, so it grows to its 128 MB limit and is OOM-killed; set one below the limit",
    ]);
  });
});

describe("server-disallow-non-arm", () => {
  it("blocks an x86 server type, on the server and in its budget", () => {
    const run = tamper(tamper(runs.launch, "app", (inputs) => (inputs.serverType = "cx22"), SERVER), "app-deploy", (inputs) => {
      (inputs.triggers as { serverType: string }[])[0].serverType = "cx22";
    });
    expect(violations(serverDisallowNonArm, run)).toEqual([
      "server app: type cx22 is not an ARM (CAX) type; use one of cax11, cax21, cax31, cax41",
      "server app: type cx22 is not an ARM (CAX) type; use one of cax11, cax21, cax31, cax41",
    ]);
  });
  it("blocks a location without ARM", () => {
    const run = tamper(runs.launch, "app", (inputs) => (inputs.location = "ash"), SERVER);
    expect(violations(serverDisallowNonArm, run)).toEqual(["server app: location ash offers no ARM (CAX) servers; use one of fsn1, nbg1, hel1"]);
  });
});

describe("api-enforce-uvicorn-workers", () => {
  it("blocks more than 2 x vCPU + 1 workers", () => {
    expect(violations(apiEnforceUvicornWorkers, tamperService(runs.growth, "app", "api", { uvicornWorkers: 10 }))).toEqual(["server app (cax21, 4 vCPU): api runs 10 Uvicorn workers, above 2 x 4 + 1 = 9"]);
  });
});

describe("pgbouncer-enforce-connection-limits", () => {
  it("blocks the guide's 10 + 20 pool with 4 workers: 120 clients against max_client_conn 100", () => {
    const messages = stackViolations(pgbouncerEnforceConnectionLimits, tamperService(runs.growth, "app", "api", { dbPoolSize: 10, dbMaxOverflow: 20 }, false));
    expect(messages).toEqual([
      "server app: pgbouncer accepts max_client_conn 100, but the app can open 130 client connections (120 api on app: 4 processes x (10 + 20), 4 celery-worker on app: 1 x concurrency 4, 1 celery-beat on app, 5 headroom); lower Uvicorn workers, pool sizes or Celery replicas, or raise max_client_conn",
    ]);
  });
  it("blocks a PgBouncer pool that PostgreSQL's max_connections cannot take", () => {
    const messages = stackViolations(pgbouncerEnforceConnectionLimits, tamperService(runs.scale, "db", "pgbouncer", { pgbouncerDefaultPoolSize: 40 }, false));
    expect(messages).toEqual(["server db: pgbouncer's pool of 40 server connections plus 8 direct and reserved ones is 48, above PostgreSQL's max_connections 28"]);
  });
});

describe("stateful-enforce-protection", () => {
  it("blocks a pgdata volume without protect or delete protection", () => {
    const run = tamper(
      runs.growth,
      "pgdata",
      (inputs, r) => {
        r.protect = false;
        inputs.deleteProtection = false;
      },
      "hcloud:index/volume:Volume",
    );
    expect(violations(statefulEnforceProtection, run)).toEqual(["volume pgdata holds data but lacks Pulumi protect and deleteProtection"]);
  });
  it("blocks a db server without rebuild protection", () => {
    const run = tamper(runs.scale, "db", (inputs) => (inputs.rebuildProtection = false), SERVER);
    expect(violations(statefulEnforceProtection, run)).toEqual(["server db (db) holds data but lacks rebuildProtection"]);
  });
});

describe("service-disallow-public-port", () => {
  it("blocks PostgreSQL published on every interface", () => {
    expect(violations(serviceDisallowPublicPort, tamperService(runs.scale, "db", "db", { ports: ["5432:5432"] }))).toEqual([
      "server db: db (a database or Redis port) publishes 5432:5432 on every interface, which Docker opens past the firewall; bind it to 127.0.0.1 or the private IP",
    ]);
  });
});

describe("resource-disallow-plain-secret", () => {
  it("blocks a password inside a DATABASE_URL in a deploy script", () => {
    const password = OFFLINE_SECRETS["orion:dbPassword"];
    const run = tamper(runs.growth, "app-deploy", (inputs) => {
      inputs.create = String(inputs.create).replace("DATABASE_URL: ${DATABASE_URL}", `DATABASE_URL: postgresql://orion:${password}@pgbouncer:6432/orion`);
    });
    expect(violations(resourceDisallowPlainSecret, run)).toEqual([`app-deploy: property create holds a URL with the password of${"*".repeat(password.length - 2)} in plain text; pass it through a Pulumi secret and the env file`]);
  });
  it("blocks a literal password setting", () => {
    const run = tamper(runs.growth, "app-deploy", (inputs) => {
      inputs.create = String(inputs.create).replace("POSTGRES_PASSWORD_FILE: /etc/postgresql/secrets/db_password", "POSTGRES_PASSWORD: hunter22");
    });
    expect(violations(resourceDisallowPlainSecret, run)).toEqual(["app-deploy: property create sets POSTGRES_PASSWORD to hu****** in plain text; pass it through a Pulumi secret and the env file"]);
  });
  it("accepts the env file on stdin, which the program sends as a secret", () => {
    expect(violations(resourceDisallowPlainSecret, runs.growth)).toEqual([]);
  });
});

describe("resource-disallow-config-secret", () => {
  const secret = (JSON.parse(OFFLINE_SECRETS["orion:appSecrets"]) as Record<string, string>).STRIPE_KEY;
  const withConfig = (fn: () => void) => {
    const before = process.env.PULUMI_CONFIG;
    // As the Pulumi CLI starts the pack: the stack's config, secrets decrypted.
    process.env.PULUMI_CONFIG = JSON.stringify({ "orion:stage": "growth", ...OFFLINE_SECRETS });
    try {
      fn();
    } finally {
      if (before === undefined) delete process.env.PULUMI_CONFIG;
      else process.env.PULUMI_CONFIG = before;
    }
  };
  it("blocks an app secret whose name no shape catches, wherever it appears in plain text", () => {
    const run = tamper(runs.growth, "app-deploy", (inputs) => {
      inputs.create = String(inputs.create).replace("STRIPE_KEY: ${STRIPE_KEY}", `STRIPE_KEY: ${secret}`);
    });
    withConfig(() => {
      expect(violations(resourceDisallowPlainSecret, run)).toEqual([]);
      expect(violations(resourceDisallowConfigSecret, run)).toEqual(["app-deploy: property create holds the value of the secret orion:appSecrets.STRIPE_KEY in plain text; it may only travel in the env file (stdin)"]);
    });
  });
  it("accepts the program as it is: app secrets travel only on stdin", () => {
    withConfig(() => expect(violations(resourceDisallowConfigSecret, runs.growth)).toEqual([]));
  });
});

describe("server-enforce-release-fit", () => {
  it("blocks a launch release that would start a second API container without stopping the workers first", () => {
    const run = tamper(runs.launch, "app-deploy", (inputs) => {
      (inputs.triggers as { release: { strategy: string; stoppedFirst: string[] } }[])[0].release = { strategy: "surge", stoppedFirst: [] };
    });
    expect(violations(serverEnforceReleaseFit, run)).toEqual([
      "server app (cax11, 4,096 MB RAM): a release runs a second API container (512 MB) beside containers of 2,904 MB and the host reserve 1,150 MB: 4,566 MB, 470 MB over; stop the workers first (borrow), lower orion:memoryLimits.api, or choose a larger server type",
    ]);
  });
  it("accepts launch's borrow: the workers' 768 MB hold the second API container", () => {
    expect(violations(serverEnforceReleaseFit, runs.launch)).toEqual([]);
  });
});

describe("advisory policies", () => {
  it("stage-enforce-monthly-budget warns above orion:monthlyBudgetEur", async () => {
    const run = await runOrion({ stage: "scale", monthlyBudgetEur: 20 });
    expect(violations(stageEnforceMonthlyBudget, run)).toEqual(["stage scale costs 27.28 EUR a month, above the budget of 20.00 EUR (servers: app, db)"]);
    expect(stageEnforceMonthlyBudget.enforcementLevel).toBe("advisory");
  });
  it("stage-enforce-load-fit warns when clients and stores call for a bigger stage", async () => {
    const run = await runOrion({ stage: "growth", clients: 12, stores: 150 });
    expect(violations(stageEnforceLoadFit, run)).toEqual(["stage growth serves 12 clients and 150 stores; the guide moves to scale at 10+ clients, >200 stores"]);
  });
});
