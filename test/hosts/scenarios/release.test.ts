import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { OFFLINE_SECRETS } from "../../../offline/orion";
import { BED_DOMAIN, TestBed, type UpResult } from "../bed";
import { report, stackState } from "../checks";
import type { ContainerState } from "../host";
import type { HttpAnswer } from "../probes";
import { run, sleep, waitUntil } from "../run";
import { buildVersions, versionRef, VERSIONED_APP } from "../release/app-versions";

/**
 * Day two on a launch server (a CAX11: 10 MB of headroom, so the release
 * borrows the Celery workers' memory for the second API container): releases
 * of the app under a steady load through Caddy, a release whose migration
 * fails, a rollback, and a new database password. Every figure is printed;
 * the tests assert what must hold (no failed request, no lost task, one
 * migration per version), never a duration.
 */
const CONFIG = { stage: "launch", tlsIssuer: "internal", ...VERSIONED_APP, appEnv: { LOG_LEVEL: "info" } };
/** orion:appSecrets as the offline runs hold it (offline/orion.ts), sent as a Pulumi secret. */
const APP_SECRET = (JSON.parse(OFFLINE_SECRETS["orion:appSecrets"]) as Record<string, string>).SECRET_KEY;
const V1 = "1.1.0";
const V2 = "1.2.0";
const BROKEN = "1.3.0-broken";
/** Load: parallel loops of POST /rows (a database write each) and GET /version, each pausing between requests: about 50 a second on an idle machine. */
const WRITERS = 10;
const WRITER_PAUSE_MS = 100;
/** Enough work (12 x 8 s on launch's 2 worker processes) that the release stops the workers while they run tasks. */
const SLOW_TASKS = 12;
const SLOW_TASK_SECONDS = 8;

jest.setTimeout(20 * 60_000);

let bed: TestBed;
let ca = "";

beforeAll(async () => {
  bed = await TestBed.start({ config: { ...CONFIG, appImage: versionRef(V1) } });
  await buildVersions(bed.host("app"), [V1, V2, BROKEN]);
  const up = await bed.up();
  if (!up.ok) throw new Error(`the first deploy failed:\n${up.commands.map(TestBed.describe).join("\n")}`);
  ca = await bed.caddyRootCa(bed.host("app"));
}, 45 * 60_000);

afterAll(async () => {
  await bed?.stop();
}, 300_000);

async function sql(query: string): Promise<string[]> {
  const out = await bed.host("app").docker(["exec", "orion-db-1", "psql", "-U", "orion", "-d", "orion", "-Atc", query]);
  return out.stdout.split("\n").filter(Boolean);
}

async function version(): Promise<string> {
  const answer = await bed.https("/version");
  return answer.status === 200
    ? (JSON.parse(answer.body!) as { version: string }).version
    : `HTTP ${answer.status ?? answer.error}`;
}

interface Load {
  answers: HttpAnswer[];
  failed: HttpAnswer[];
  seconds: number;
  perSecond: number;
  versions: string[];
}

/** Runs `during` while the operator's machine sends a steady load through Caddy; returns every answer. */
async function underLoad<T>(label: string, during: () => Promise<T>): Promise<{ result: T; load: Load }> {
  const app = bed.host("app");
  const loops = [...Array.from({ length: WRITERS }, (_, i) => `${label}-w${i}`), `${label}-v`];
  for (const [i, loop] of loops.entries()) {
    const url = i < WRITERS ? `https://${BED_DOMAIN}/rows?note=${label}` : `https://${BED_DOMAIN}/version`;
    await bed.operator.startLoop(
      loop,
      { url, method: i < WRITERS ? "POST" : "GET", connectTo: app.publicIp, ca, timeoutMs: 30_000 },
      WRITER_PAUSE_MS,
    );
  }
  const started = Date.now();
  let answers: HttpAnswer[] = [];
  let result: T;
  try {
    await sleep(2000);
    result = await during();
    await sleep(2000);
  } finally {
    answers = (await Promise.all(loops.map((l) => bed.operator.stopLoop(l)))).flat();
  }
  const seconds = (Date.now() - started) / 1000;
  const failed = answers.filter((a) => a.error !== undefined || a.status !== 200);
  const versions = [
    ...new Set(
      answers
        .filter((a) => a.status === 200 && a.body?.includes('"version"'))
        .map((a) => (JSON.parse(a.body!) as { version: string }).version),
    ),
  ];
  return { result: result!, load: { answers, failed, seconds, perSecond: answers.length / seconds, versions } };
}

/** Polls how many celery-beat containers run while a release goes on. */
function watchBeat(): { stop: () => Promise<number> } {
  let running = true;
  let most = 0;
  const done = (async () => {
    while (running) {
      const ids = (
        await bed.host("app").docker(["ps", "-q", "--filter", "label=com.docker.compose.service=celery-beat"])
      ).stdout
        .split("\n")
        .filter(Boolean);
      most = Math.max(most, ids.length);
      await sleep(250);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return most;
    },
  };
}

const describeLoad = (l: Load) =>
  `${l.answers.length} requests in ${l.seconds.toFixed(1)} s (${l.perSecond.toFixed(0)}/s) through Caddy: ${l.failed.length} failed${l.failed.length ? ` (${[...new Set(l.failed.map((f) => f.error ?? `HTTP ${f.status}`))].slice(0, 3).join("; ")})` : ""}; versions answering: ${l.versions.join(" -> ")}`;
const deployOf = (up: UpResult) => up.commands.find((c) => c.name === "app-deploy")!;
/** The release script's own lines from a deploy, and when each failed request started and how long it took: where a failure falls in the release. */
const releaseLines = (up: UpResult) =>
  (deployOf(up).output ?? "(no output: the deploy did not run)").split("\n").filter((l) => l.includes("[release app"));
const failedAt = (l: Load) =>
  l.failed.map(
    (f) => `${new Date(f.start).toISOString().slice(11, 23)} +${f.ms ?? "?"} ms ${f.error ?? `HTTP ${f.status}`}`,
  );
const started = (list: ContainerState[], service: string) =>
  list.filter((c) => c.service === service && c.running).map((c) => Date.parse(c.startedAt));

describe("releasing the app on a launch server", () => {
  it("the first deploy migrates once, with the direct URL, before any app container starts", async () => {
    const runs = await sql(
      "SELECT version || ' ' || url_host || ' ' || extract(epoch from ran_at) FROM migrations ORDER BY id",
    );
    const containers = await bed.host("app").containers();
    const [ver, host, at] = runs[0].split(" ");
    const firstApp = Math.min(...["api", "celery-worker", "celery-beat"].flatMap((s) => started(containers, s)));
    report("release: the first deploy", [
      `migrations: ${runs.length} (${runs.join(", ")})`,
      `first app container started ${((firstApp - Number(at) * 1000) / 1000).toFixed(1)} s after the migration`,
    ]);
    expect(runs).toHaveLength(1);
    expect([ver, host]).toEqual([V1, "db:5432"]);
    expect(firstApp).toBeGreaterThan(Number(at) * 1000);
    expect(await version()).toBe(V1);
  });

  it(`a release (${V1} -> ${V2}) under steady load: 0 failed requests, 0 lost tasks, one migration, never two beats`, async () => {
    const run = `tasks-${Date.now()}`;
    for (let i = 0; i < SLOW_TASKS; i++)
      expect((await bed.https(`/slow-tasks?note=${run}&seconds=${SLOW_TASK_SECONDS}`, { method: "POST" })).status).toBe(
        200,
      );
    const beat = watchBeat();
    const { result: up, load } = await underLoad("release", () => bed.up({ ...CONFIG, appImage: versionRef(V2) }));
    const beats = await beat.stop();
    const deploy = deployOf(up);
    // The load's figures first: they are what the release is judged by, even when the deploy then fails.
    report(`release ${V1} -> ${V2}: the load`, [describeLoad(load), `app-deploy exit ${deploy.code}`]);
    expect(TestBed.describe(deploy)).toMatch(/exit 0/);

    await waitUntil(
      "every slow task done",
      async () => Number((await sql(`SELECT count(*) FROM rows WHERE note = '${run}'`))[0]) >= SLOW_TASKS,
      300_000,
      2000,
    );
    const done = Number((await sql(`SELECT count(*) FROM rows WHERE note = '${run}'`))[0]);
    const byVersion = await sql(
      `SELECT written_by || ': ' || count(*) FROM rows WHERE note = '${run}' GROUP BY written_by ORDER BY 1`,
    );
    const migrations = await sql(`SELECT extract(epoch from ran_at) FROM migrations WHERE version = '${V2}'`);
    const containers = await bed.host("app").containers();
    const firstNew = Math.min(...["api", "celery-worker", "celery-beat"].flatMap((s) => started(containers, s)));
    const history = (await bed.ssh(bed.host("app"), "tail -n 1 /opt/orion/releases/history.jsonl")).stdout.trim();
    const state = await stackState(bed);
    report(
      `release ${V1} -> ${V2} (launch, borrow: celery-worker and celery-beat lend their memory to the second API container)`,
      [
        describeLoad(load),
        `pulumi up ${(up.ms / 1000).toFixed(1)} s; the app server's deploy ${((deploy.ms ?? 0) / 1000).toFixed(1)} s`,
        ...releaseLines(up),
        ...failedAt(load),
        `slow tasks: ${SLOW_TASKS} queued, ${done} done (${SLOW_TASKS - Math.min(done, SLOW_TASKS)} lost, ${Math.max(0, done - SLOW_TASKS)} run twice): ${byVersion.join(", ")}`,
        `migrations of ${V2}: ${migrations.length}; beat containers at once, at most: ${beats}`,
        `history: ${history}`,
      ],
    );
    expect(load.failed).toEqual([]);
    expect(load.versions).toEqual([V1, V2]);
    expect(done).toBe(SLOW_TASKS);
    expect(migrations).toHaveLength(1);
    expect(firstNew).toBeGreaterThan(Number(migrations[0]) * 1000);
    expect(beats).toBe(1);
    expect(JSON.parse(history)).toMatchObject({ server: "app", image: versionRef(V2), api: 1, workers: 1, beat: 1 });
    expect(state.unhealthy.filter((u) => !u.includes("starting"))).toEqual([]);
    expect(
      containers
        .filter((c) => c.running && ["api", "celery-worker", "celery-beat"].includes(c.service))
        .map((c) => c.image),
    ).toEqual([versionRef(V2), versionRef(V2), versionRef(V2)]);
  });

  it("a release whose migration fails stops before any new container, and the old version keeps serving", async () => {
    const before = await bed.host("app").containers();
    const { result: up, load } = await underLoad("broken", () => bed.up({ ...CONFIG, appImage: versionRef(BROKEN) }));
    const deploy = deployOf(up);
    const after = await bed.host("app").containers();
    const running = after.filter((c) => c.running && ["api", "celery-worker", "celery-beat"].includes(c.service));
    report(`release ${V2} -> ${BROKEN} (the migration fails)`, [
      describeLoad(load),
      `app-deploy exit ${deploy.code}: ${deploy
        .output!.trim()
        .split("\n")
        .filter((l) => /migration|release/.test(l))
        .slice(-3)
        .join(" | ")}`,
    ]);
    expect(deploy.code).not.toBe(0);
    expect(load.failed).toEqual([]);
    expect(load.versions).toEqual([V2]);
    expect(running.map((c) => c.image)).toEqual([versionRef(V2), versionRef(V2), versionRef(V2)]);
    // The workers lent their memory and got it back: the same containers run again.
    expect(running.map((c) => c.id).sort()).toEqual(
      before
        .filter((c) => c.running && ["api", "celery-worker", "celery-beat"].includes(c.service))
        .map((c) => c.id)
        .sort(),
    );
    expect(await sql(`SELECT count(*) FROM migrations WHERE version = '${BROKEN}'`)).toEqual(["0"]);
  });

  it(`a rollback (orion:appImage back to ${V1}) takes the same path: 0 failed requests, no migration`, async () => {
    const { result: up, load } = await underLoad("rollback", () => bed.up({ ...CONFIG, appImage: versionRef(V1) }));
    const deploy = deployOf(up);
    report(`rollback ${V2} -> ${V1}`, [
      describeLoad(load),
      `pulumi up ${(up.ms / 1000).toFixed(1)} s; the app server's deploy ${((deploy.ms ?? 0) / 1000).toFixed(1)} s`,
      ...releaseLines(up),
      ...failedAt(load),
    ]);
    expect(deploy.code).toBe(0);
    expect(load.failed).toEqual([]);
    expect(load.versions).toEqual([V2, V1]);
    expect(await sql(`SELECT version FROM migrations ORDER BY id`)).toEqual([V1, V2]);
  });

  it("the app's secret and setting reach the API in its environment, from the env file only", async () => {
    const api = (await bed.host("app").containers()).find((c) => c.service === "api" && c.running)!;
    const env = (await bed.host("app").docker(["inspect", "--format", "{{json .Config.Env}}", api.id])).stdout;
    const compose = (await bed.host("app").exec("cat /opt/orion/compose.yaml")).stdout;
    const deployScript = bed.program.commands.find((c) => c.name === "app-deploy")!.create;
    expect(env).toContain(`SECRET_KEY=${APP_SECRET}`);
    expect(env).toContain("LOG_LEVEL=info");
    expect(compose).not.toContain(APP_SECRET);
    expect(deployScript).not.toContain(APP_SECRET);
  });

  it("a new orion:dbPassword: ALTER ROLE before the clients switch; the database keeps running", async () => {
    const db = (await bed.host("app").containers()).find((c) => c.service === "db")!;
    const key = "orion:dbPassword";
    const previous = OFFLINE_SECRETS[key];
    // The stack's secret changes, as `pulumi config set --secret orion:dbPassword ...` would change it.
    OFFLINE_SECRETS[key] = "rotated-db-password-83c1";
    try {
      const { result: up, load } = await underLoad("rotation", () => bed.up({ ...CONFIG, appImage: versionRef(V1) }));
      const deploy = deployOf(up);
      const after = (await bed.host("app").containers()).find((c) => c.service === "db")!;
      // Over TCP from the backend network, as the app logs in (pg_hba.conf trusts only the local socket).
      const loginWith = (password: string) =>
        bed
          .host("app")
          .docker(
            [
              "exec",
              "-e",
              `PGPASSWORD=${password}`,
              "orion-db-1",
              "sh",
              "-c",
              'psql -h "$(hostname -i | cut -d" " -f1)" -U orion -d orion -Atc "SELECT 1"',
            ],
            { allowFail: true },
          );
      const login = await loginWith("rotated-db-password-83c1");
      const oldLogin = await loginWith(previous);
      report("dbPassword rotation (launch)", [
        describeLoad(load),
        `app-deploy ${((deploy.ms ?? 0) / 1000).toFixed(1)} s, exit ${deploy.code}`,
        ...releaseLines(up),
        `failed requests by second: ${[...new Set(load.failed.map((f) => new Date(f.start).toISOString().slice(11, 19)))].join(" ")}`,
        `database container kept: ${after.id === db.id}; new password logs in: ${login.code === 0}; old one: ${oldLogin.code === 0} (${oldLogin.stderr.trim()})`,
      ]);
      expect(deploy.code).toBe(0);
      expect(after.id).toBe(db.id);
      expect(after.startedAt).toBe(db.startedAt);
      expect(login.stdout.trim()).toBe("1");
      expect(oldLogin.code).not.toBe(0);
      expect((await bed.https("/rows?note=after-rotation", { method: "POST" })).status).toBe(200);
    } finally {
      OFFLINE_SECRETS[key] = previous;
    }
  });
});

const ROOT = join(__dirname, "..", "..", "..");

/**
 * The operator commands as an operator runs them, from the operator's
 * machine over SSH: the stack's config from Pulumi.<stack>.yaml, its outputs
 * and the deploy key from the Pulumi CLI (a stand-in that prints what
 * `pulumi stack output --json` and `pulumi config --json --show-secrets`
 * print for this stack; the real CLI needs a state backend).
 */
describe("operator commands against the bed's hosts", () => {
  let project = "";
  const cli = async (script: string, args: string[]) => {
    const tsx = join(ROOT, "node_modules", ".bin", "tsx");
    return run(
      "nsenter",
      [`--net=/run/netns/otb-${bed.run.id}-operator`, tsx, join(ROOT, "cli", script), "--stack", "bed", ...args],
      {
        cwd: project,
        allowFail: true,
        timeoutMs: 120_000,
        env: { ...process.env, PATH: `${join(project, "bin")}:${process.env.PATH}`, HOME: project },
      },
    );
  };

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), "orion-ops-"));
    copyFileSync(join(ROOT, "Pulumi.yaml"), join(project, "Pulumi.yaml"));
    writeFileSync(
      join(project, "Pulumi.bed.yaml"),
      stringify({
        config: Object.fromEntries(
          Object.entries({ ...CONFIG, appImage: versionRef(V1) }).map(([k, v]) => [`orion:${k}`, v]),
        ),
      }),
    );
    const outputs = {
      servers: Object.fromEntries(
        Object.entries(bed.program.servers).map(([name, s]) => [
          name,
          { ipv4Address: s.publicIp, privateIp: s.privateIp },
        ]),
      ),
    };
    const key = readFileSync(join(bed.run.dir, "deploy-key"), "utf8");
    writeFileSync(join(project, "outputs.json"), JSON.stringify(outputs));
    writeFileSync(
      join(project, "config.json"),
      JSON.stringify({ "orion:sshPrivateKey": { value: key, secret: true } }),
    );
    mkdirSync(join(project, "bin"));
    writeFileSync(
      join(project, "bin", "pulumi"),
      `#!/bin/sh\ncase "$1 $2" in\n  "stack output") cat ${join(project, "outputs.json")} ;;\n  "config --json") cat ${join(project, "config.json")} ;;\n  *) echo "pulumi stand-in: $*" >&2; exit 1 ;;\nesac\n`,
    );
    chmodSync(join(project, "bin", "pulumi"), 0o755);
  });

  it("status: every container with its image, digest and health, and the release history", async () => {
    const result = await cli("status.ts", ["--json"]);
    const status = JSON.parse(result.stdout) as {
      servers: {
        server: string;
        containers: { service: string; image: string; digest: string; health: string }[];
        history: { image: string }[];
      }[];
    };
    const app = status.servers.find((s) => s.server === "app")!;
    const api = app.containers.find((c) => c.service === "api")!;
    report("npm run status (over SSH from the operator's machine)", [
      `exit ${result.code}; app: ${app.containers.length} containers; api ${api.image} ${api.digest.slice(0, 19)} ${api.health}; last release ${app.history.at(-1)?.image}`,
    ]);
    expect(result.code).toBe(0);
    expect(api).toMatchObject({ image: versionRef(V1), health: "healthy" });
    expect(api.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(app.history.at(-1)!.image).toBe(versionRef(V1));
    expect(app.containers.map((c) => c.service)).toEqual(
      expect.arrayContaining(["api", "celery-worker", "celery-beat", "db", "caddy"]),
    );
  });

  it("logs: a service's lines from the servers that run it, each with its server", async () => {
    const result = await cli("logs.ts", ["api", "--tail", "20"]);
    const lines = result.stdout.split("\n").filter(Boolean);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => !/^app\/api-\d+ \d{4}-\d\d-\d\dT/.test(l))).toEqual([]);
  });

  it("exec: a one-off command with the app's environment; on launch inside the running API container", async () => {
    const result = await cli("exec.ts", [
      "--",
      "python",
      "-c",
      "import os; print(os.environ['ORION_VERSION'], os.environ['LOG_LEVEL'], 'SECRET_KEY' in os.environ)",
    ]);
    report("npm run exec", [`exit ${result.code}: ${result.stdout.trim()} (${result.stderr.trim()})`]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`${V1} info True`);
    expect(result.stderr).toContain("running inside the API container instead");
  });
});
