import { stringify } from "yaml";
import { readPgHba, readIniSections, readPostgresqlConf, readRedisConf } from "../../model/render/conf-readers";
import { pgbouncerIni, postgresqlConf, redisConf } from "../../model/render/conf-files";
import { STAGE_NAMES, type StageName } from "../../model/stages";
import { composeMemoryMb, readCompose } from "../../policies/files/compose";
import { postgresMemoryMb } from "../../policies/files/postgres";
import { redisBytes } from "../../policies/files/redis";
import { filesWritten } from "../../policies/lib/heredocs";
import { monthlyCostOf } from "../../policies/lib/cost";
import { stackView } from "../../policies/lib/stack";
import { apiEnforceUvicornWorkers } from "../../policies/rules/api-enforce-uvicorn-workers";
import { deployEnforceBudgetMatch } from "../../policies/rules/deploy-enforce-budget-match";
import { deployEnforceReadableFiles } from "../../policies/rules/deploy-enforce-readable-files";
import { pgbouncerEnforceConnectionLimits } from "../../policies/rules/pgbouncer-enforce-connection-limits";
import { redisConfigureMaxmemory } from "../../policies/rules/redis-configure-maxmemory";
import { serverEnforceMemoryBudget } from "../../policies/rules/server-enforce-memory-budget";
import { serviceDisallowOversizedLimit } from "../../policies/rules/service-disallow-oversized-limit";
import { serviceDisallowPublicPort } from "../../policies/rules/service-disallow-public-port";
import { resourceDisallowConfigSecret } from "../../policies/rules/resource-disallow-config-secret";
import { resourceDisallowPlainSecret } from "../../policies/rules/resource-disallow-plain-secret";
import { serverEnforceReleaseFit } from "../../policies/rules/server-enforce-release-fit";
import { POLICIES } from "../../policies/rules";
import { plan } from "../../model/plan";
import { parseConfig } from "../../model/config";
import type { MockRun } from "../../offline/mock-run";
import { OFFLINE_SECRETS, runOrion } from "../../offline/orion";
import {
  allViolations,
  caseConfig,
  deployedFile,
  lineOf,
  policyResources,
  POLICY_CASES,
  runCase,
  tamperFile,
  tamperRecord,
  violations,
} from "./support";

const runs = {} as Record<StageName, MockRun>;
beforeAll(async () => {
  for (const stage of STAGE_NAMES) runs[stage] = await runOrion({ stage });
});
afterEach(() => {
  delete process.env.PULUMI_CONFIG;
});

describe("the compliant baseline", () => {
  it.each(STAGE_NAMES)("%s passes every policy", (stage) => {
    expect(allViolations(runs[stage])).toEqual([]);
  });

  it("every policy says what it reads and has a case that trips it", () => {
    for (const p of POLICIES) {
      expect(p.reads.length).toBeGreaterThan(0);
      expect(POLICY_CASES.map((c) => c.policy)).toContain(p.name);
    }
  });
});

describe("each tampered program, judged in this process", () => {
  it.each(POLICY_CASES.map((c) => [c.policy, c.title, c] as const))("%s: %s", async (_policy, _title, c) => {
    process.env.PULUMI_CONFIG = JSON.stringify(caseConfig(c));
    const run = await runCase(c);
    const messages = violations(
      POLICIES.find((p) => p.name === c.policy)!,
      run,
    );
    expect(messages.length).toBeGreaterThan(0);
    if (c.at) {
      const line = lineOf(deployedFile(run, c.at.server, c.at.file), c.at.needle, c.at.after);
      expect(messages.some((m) => m.includes(`server ${c.at!.server}, ${c.at!.file} line ${line}`))).toBe(true);
    }
    for (const m of messages) expect(m).toMatch(/\. Fix: .+\.$/);
  });
});

describe("the pack reads the files, not the declared budget", () => {
  const budgetOnly = (run: MockRun) => allViolations(run).map((m) => m.split(":")[0]);

  it("a budget that declares celery-worker at 3 GB, over a compose file at 512m, is a mismatch and nothing else", () => {
    const run = tamperRecord(
      runs.launch,
      "app",
      (r) => (r.services.find((s) => s.name === "celery-worker")!.memoryLimitMb = 3072),
    );
    expect(violations(deployEnforceBudgetMatch, run)).toEqual([
      `server app, compose.yaml line ${lineOf(deployedFile(run, "app", "compose.yaml"), "mem_limit: 512m", "  celery-worker:")} (services.celery-worker.mem_limit): celery-worker runs with memoryLimitMb 512 MB, but the declared budget says 3,072 MB. Fix: declare what the deploy renders: the record and the files come from the same plan.`,
    ]);
    expect(budgetOnly(run)).toEqual(["deploy-enforce-budget-match"]);
  });

  it("a budget that declares allkeys-lru over a redis.conf with volatile-lru trips only the mismatch", () => {
    const run = tamperRecord(
      runs.growth,
      "app",
      (r) => (r.services.find((s) => s.name === "redis")!.redisMaxmemoryPolicy = "allkeys-lru"),
    );
    expect(violations(redisConfigureMaxmemory, run)).toEqual([]);
    expect(budgetOnly(run)).toEqual(["deploy-enforce-budget-match"]);
  });

  it("a budget that declares 10 Uvicorn workers and the guide's 10 + 20 pool trips only the mismatch", () => {
    const run = tamperRecord(runs.scale, "app", (r) =>
      Object.assign(
        r.services.find((s) => s.name === "api")!,
        { uvicornWorkers: 10, dbPoolSize: 10, dbMaxOverflow: 20 },
      ),
    );
    expect(violations(apiEnforceUvicornWorkers, run)).toEqual([]);
    expect(violations(pgbouncerEnforceConnectionLimits, run)).toEqual([]);
    expect(violations(deployEnforceBudgetMatch, run)).toHaveLength(3);
  });

  it("a budget that leaves out flower and names the wrong server type is a mismatch", () => {
    const run = tamperRecord(runs.launch, "app", (r) => {
      r.services = r.services.filter((s) => s.name !== "flower");
      r.serverType = "cax21";
    });
    expect(violations(deployEnforceBudgetMatch, run)).toEqual([
      "server app (triggers[0].serverType): the declared budget says serverType cax21, but the server has cax11. Fix: declare the server the deploy runs on: the record and the server come from the same plan.",
      `server app, compose.yaml line ${lineOf(deployedFile(run, "app", "compose.yaml"), "  flower:")} (services.flower): runs flower, which the declared budget does not list. Fix: declare every service the compose file runs.`,
    ]);
    expect(violations(serverEnforceMemoryBudget, run)).toEqual([]);
  });
});

describe("releases and the app's secrets", () => {
  it("an app secret whose name no shape catches: the shape check misses it, its value does not", () => {
    const secret = (JSON.parse(OFFLINE_SECRETS["orion:appSecrets"]) as Record<string, string>).STRIPE_KEY;
    const run = tamperFile(runs.growth, "app", "compose.yaml", (c) =>
      c.replace("STRIPE_KEY: ${STRIPE_KEY}", `STRIPE_KEY: ${secret}`),
    );
    // As the Pulumi CLI starts the pack: the stack's config, secrets decrypted.
    process.env.PULUMI_CONFIG = JSON.stringify({ "orion:stage": "growth", ...OFFLINE_SECRETS });
    expect(violations(resourceDisallowPlainSecret, run)).toEqual([]);
    expect(violations(resourceDisallowConfigSecret, run)).toEqual([
      "resource app-deploy (command:remote:Command) (create): holds the value of the secret orion:appSecrets.STRIPE_KEY in plain text. Fix: pass it only in the env file (stdin) and refer to it as ${VAR}.",
    ]);
    expect(violations(resourceDisallowConfigSecret, runs.growth)).toEqual([]);
  });

  it("a launch release without the borrow is 502 MB over the CAX11; launch's borrow fits", () => {
    const run = tamperFile(runs.launch, "app", "release.sh", (c) =>
      c.replace("STOPPED_FIRST='celery-worker celery-beat'", "STOPPED_FIRST=''"),
    );
    const line = lineOf(deployedFile(run, "app", "compose.yaml"), "mem_limit:", "  api:");
    expect(violations(serverEnforceReleaseFit, run)).toEqual([
      `server app, compose.yaml line ${line} (services.api.mem_limit): a release (borrow) runs a second API container (512 MB) beside containers of 2,936 MB and the host reserve 1,150 MB: 4,598 MB on a cax11 with 4,096 MB RAM, 502 MB over. Fix: stop the workers first (borrow), lower orion:memoryLimits.api, or choose a larger server type.`,
    ]);
    expect(violations(serverEnforceReleaseFit, runs.launch)).toEqual([]);
  });
});

describe("deploy-enforce-readable-files", () => {
  it("fails closed on a deploy script preview cannot know: the files it writes are unseen", () => {
    const run = tamper2(runs.launch, () => "04da6b54-80e4-46f7-96ec-b56ff0331ba9");
    expect(violations(deployEnforceReadableFiles, run)).toEqual([
      "server app (create): the deploy script is not known at preview, so the files it writes cannot be checked. Fix: render the deploy's files from values known at preview (no server IP or ID in them).",
    ]);
  });

  it("blocks a script that changes a file after its heredoc wrote it", () => {
    const appended = tamper2(runs.growth, (s) =>
      s.replace(
        /^docker compose -p/m,
        "cat >> config/redis/redis.conf <<'X'\nmaxmemory-policy allkeys-lru\nX\nsed -i s/volatile/allkeys/ 'config/redis/redis.conf'\ndocker compose -p",
      ),
    );
    const messages = violations(deployEnforceReadableFiles, appended);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(
      /^server app, app-deploy script line \d+ \(config\/redis\/redis\.conf\): changes config\/redis\/redis\.conf after writing it/,
    );
  });

  it("lets through only the exact line that drops start_interval on engines before 25, not another sed on the compose file", () => {
    expect(violations(deployEnforceReadableFiles, runs.launch)).toEqual([]);
    const widened = tamper2(runs.launch, (s) =>
      s.replace("sed -i '/^ *start_interval: /d' compose.yaml", "sed -i '/^ *mem_limit: /d' compose.yaml"),
    );
    expect(violations(deployEnforceReadableFiles, widened)).toEqual([
      expect.stringMatching(
        /^server app, app-deploy script line \d+ \(compose\.yaml\): changes compose\.yaml after writing it/,
      ),
    ]);
  });

  it("blocks a deploy that starts a compose file it does not write", () => {
    const run = tamper2(runs.launch, (s) => s.replace("cat > 'compose.yaml'", "cat > 'other.yaml'"));
    expect(violations(deployEnforceReadableFiles, run)[0]).toContain(
      "the deploy runs docker compose with a compose file that it does not write",
    );
  });
});

describe("server-enforce-memory-budget on the compose file", () => {
  it("blocks celery-worker at 3 GB on the launch CAX11, with the guide's figures", () => {
    const run = tamperFile(runs.launch, "app", "compose.yaml", (c) =>
      c.replace(/(\n {2}celery-worker:\n(?: {4}.*\n)*? {4}mem_limit: )512m/, "$13g"),
    );
    expect(violations(serverEnforceMemoryBudget, run)).toEqual([
      `server app, compose.yaml line ${lineOf(deployedFile(run, "app", "compose.yaml"), "mem_limit: 3g")} (services.celery-worker.mem_limit): containers 5,496 MB + host reserve 1,150 MB (role app) = 6,646 MB on a cax11 with 4,096 MB RAM, 2,550 MB over; the largest is celery-worker at 3,072 MB x 1. Fix: lower the limits or replicas (orion:memoryLimits, orion:replicas), or choose a larger server type (orion:serverTypes.app).`,
    ]);
  });

  it("counts --scale on docker compose up, and deploy.resources.limits.memory", () => {
    // The deploy's own `up` (release.sh, written earlier in the script, has its own `--remove-orphans`).
    const scaled = tamper2(runs.launch, (s) =>
      s.replace(/^(docker compose .*\bup\b.*--remove-orphans)/m, "$1 --scale celery-worker=2"),
    );
    expect(violations(serverEnforceMemoryBudget, scaled)[0]).toContain(
      "containers 3,448 MB + host reserve 1,150 MB (role app) = 4,598 MB",
    );
    const limits = tamperFile(runs.launch, "app", "compose.yaml", (c) =>
      c.replace(/(\n {2}flower:\n)/, "$1    deploy: { resources: { limits: { memory: 1g } } }\n"),
    );
    expect(violations(serverEnforceMemoryBudget, limits)[0]).toContain("containers 3,704 MB");
  });

  it("blocks a container without a memory limit", () => {
    const run = tamperFile(runs.launch, "app", "compose.yaml", (c) =>
      c.replace(/(\n {2}grafana:\n(?: {4}.*\n)*?) {4}mem_limit: 192m\n/, "$1"),
    );
    expect(violations(serverEnforceMemoryBudget, run)[0]).toContain(
      "grafana has no memory limit, so it can take all 4,096 MB of the server",
    );
  });
});

describe("service-disallow-oversized-limit", () => {
  it("takes the share from policy config", () => {
    expect(violations(serviceDisallowOversizedLimit, runs.scale, { maxShareOfRamPct: 40 })).toEqual([
      `server db, compose.yaml line ${lineOf(deployedFile(runs.scale, "db", "compose.yaml"), "mem_limit: 4g")} (services.db.mem_limit): db has a limit of 4,096 MB, above 40% of the cax21's 8,192 MB RAM (3,276 MB). Fix: lower db's limit to 3,276 MB or less, or move it to a server of its own.`,
    ]);
  });
});

describe("service-disallow-public-port", () => {
  it("reads the long port syntax and a port without a host address", () => {
    const run = tamperFile(runs.launch, "app", "compose.yaml", (c) =>
      c
        .replace("- '127.0.0.1:3000:3000'", "- { target: 3000, published: 3000 }")
        .replace("- '127.0.0.1:9090:9090'", "- '9090:9090'"),
    );
    const messages = violations(serviceDisallowPublicPort, run);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain("grafana (grafana, a data or admin service) publishes 3000:3000 on every interface");
    expect(messages[1]).toContain(
      "prometheus (prometheus, a data or admin service) publishes 9090:9090 on every interface",
    );
  });
});

describe("reading what runs", () => {
  it("finds every file a deploy writes, with the script line its content starts on", () => {
    const files = filesWritten(
      "set -eu\ncd /opt/orion\ncat > 'a b.conf' <<'END'\nx 1\nEND\ncat > /opt/orion/c.yaml <<EOF\ny: 2\nEOF\n",
      "/opt/orion",
    );
    expect([...files.values()].map((f) => [f.path, f.content, f.scriptLine])).toEqual([
      ["a b.conf", "x 1\n", 4],
      ["c.yaml", "y: 2\n", 7],
    ]);
  });

  it("reads memory in Compose's units (bytes, k, m, g), Redis's (mb is binary, m is decimal) and PostgreSQL's (8 kB pages)", () => {
    expect([
      composeMemoryMb("512m"),
      composeMemoryMb("1g"),
      composeMemoryMb("1.5GB"),
      composeMemoryMb(536870912),
      composeMemoryMb("lots"),
    ]).toEqual([512, 1024, 1536, 512, undefined]);
    expect([redisBytes("100mb"), redisBytes("100m"), redisBytes("1gb")]).toEqual([104857600, 100000000, 1073741824]);
    expect([
      postgresMemoryMb("shared_buffers", "256MB"),
      postgresMemoryMb("shared_buffers", "32768"),
      postgresMemoryMb("work_mem", "4096"),
    ]).toEqual([256, 256, 4]);
  });

  it("reads compose merge keys as Compose does", () => {
    const compose = readCompose(
      "x-limits: &limits\n  mem_limit: 3g\nservices:\n  worker:\n    <<: *limits\n    image: a@sha256:00\n",
    );
    expect(compose.services[0].memoryMb).toBe(3072);
  });

  it("reads back what the config writers write", () => {
    expect(
      [
        ...readPostgresqlConf(
          postgresqlConf({
            max_connections: 28,
            shared_buffers: "256MB",
            hba_file: "/etc/it's.conf",
            hot_standby: true,
          }),
        ).values(),
      ].map((e) => [e.key, e.value, e.line]),
    ).toEqual([
      ["max_connections", "28", 1],
      ["shared_buffers", "256MB", 2],
      ["hba_file", "/etc/it's.conf", 3],
      ["hot_standby", "on", 4],
    ]);
    const ini = readIniSections(
      pgbouncerIni({ databases: { orion: "host=db port=5432 dbname=orion" }, pgbouncer: { max_client_conn: 100 } }),
    );
    expect([ini.databases.get("orion")?.value, ini.pgbouncer.get("max_client_conn")?.value]).toEqual([
      "host=db port=5432 dbname=orion",
      "100",
    ]);
    expect(
      readRedisConf(
        redisConf([
          ["maxmemory", "100mb"],
          ["save", ""],
        ]),
      ).map((d) => [d.name, d.args]),
    ).toEqual([
      ["maxmemory", ["100mb"]],
      ["save", [""]],
    ]);
    expect(
      readPgHba("local all all trust\nhost all all 10.0.1.10 255.255.255.255 scram-sha-256\n").map((r) => [
        r.type,
        r.address,
        r.mask,
        r.method,
      ]),
    ).toEqual([
      ["local", undefined, undefined, "trust"],
      ["host", "10.0.1.10", "255.255.255.255", "scram-sha-256"],
    ]);
  });

  it("ties each deploy to the server its connection depends on", () => {
    const view = stackView(policyResources(runs.enterprise));
    expect(view.deployments.map((d) => [d.command.name, d.server?.name])).toEqual(
      view.deployments.map((d) => [d.command.name, d.command.name.replace(/-deploy$/, "")]),
    );
    expect(view.servers.find((s) => s.name === "db")!.privateIps).toEqual(["10.0.1.20"]);
  });

  it.each(STAGE_NAMES)("costs %s from its resources as the plan does", (stage) => {
    expect(monthlyCostOf(stackView(policyResources(runs[stage]))).totalEur).toBe(
      plan(parseConfig({ stage })).cost.totalEur,
    );
  });

  it("parses the compose files of every stage without anything it cannot read", () => {
    for (const stage of STAGE_NAMES) {
      for (const d of stackView(policyResources(runs[stage])).deployments) {
        expect([d.compose?.error, d.compose?.unsupported, d.compose?.interpolated]).toEqual([undefined, [], []]);
        expect(d.compose!.services.length).toBeGreaterThan(0);
      }
    }
  });

  it("writes compose files this reader reads the way `yaml` wrote them", () => {
    const text = stringify({ services: { a: { image: "x@sha256:1", mem_limit: "256m", ports: ["127.0.0.1:1:1"] } } });
    expect(readCompose(text).services[0]).toMatchObject({
      name: "a",
      memoryMb: 256,
      ports: [{ hostIp: "127.0.0.1", published: "1", target: "1" }],
    });
  });
});

/** The launch app deploy with its script changed outside the files. */
function tamper2(run: MockRun, edit: (script: string) => string): MockRun {
  const copy: MockRun = JSON.parse(JSON.stringify(run));
  const deploy = copy.resources.find((r) => r.name === "app-deploy")!;
  deploy.inputs.create = edit(String(deploy.inputs.create));
  return copy;
}
