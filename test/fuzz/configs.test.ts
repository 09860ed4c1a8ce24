import Ajv from "ajv";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ConfigError, parseConfig } from "../../model/config";
import { plan, type Plan } from "../../model/plan";
import { renderServerFiles } from "../../model/render/server-files";
import { STAGE_NAMES, STAGES } from "../../model/stages";
import { ROOT } from "../cli/run";
import { POSTGRES_BIN, requireBinary, runAsServiceUser, serviceDir, writeServiceFile } from "../servers/support";
import { run, writeTree, COMPOSE_ENV } from "../render/tools";

/**
 * Thousands of generated configs, the way operators write them: text for
 * numbers, capitals, typos, sizes too small or too large. Every config is
 * either refused with problems that each name an orion: key, or it renders
 * files the real checkers accept. All of them go through the Compose
 * Specification schema; a fixed sample also through Docker Compose v2, dclint
 * and PostgreSQL's own reading of its settings (`postgres -C`).
 */
const SEED = 18;
const RUNS = 3000;
/** Every how-many-th accepted config goes through the slow tools. */
const HEAVY_EVERY = 40;

/** Mostly what an operator means, sometimes a slip: each field is valid nine times in ten. */
const usually = <T, U>(valid: fc.Arbitrary<T>, slip: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: slip });
const size = usually(
  fc.oneof(
    fc.integer({ min: 16, max: 6000 }).map((n) => `${n}m`),
    fc.integer({ min: 1, max: 8 }).map((n) => `${n}g`),
    fc.integer({ min: 16, max: 6000 }).map(String),
    fc.integer({ min: 16, max: 6000 }),
    fc.constantFrom("1.5g", "101m", "127m", "128m", "289m", "290m", "320m", "319m"),
  ),
  fc.constantFrom("0", "1m", "64m", "512k", "-64m", "lots", 0, 2.5),
);
const count = (min: number, max: number) =>
  usually(
    fc.integer({ min, max }).chain((n) => fc.constantFrom<number | string>(n, String(n), `${n}.0`, ` ${n} `)),
    fc.constantFrom<number | string>(-1, 0, "2.5", "two", 99),
  );
const someOf = <T>(keys: readonly string[], value: fc.Arbitrary<T>) =>
  fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 3 });
/** A config for one stage, keyed mostly by what that stage has (its services, roles and server types), sometimes not. */
const raw = fc.constantFrom(...STAGE_NAMES).chain((stage) => {
  const spec = STAGES[stage];
  const services = [...new Set(spec.servers.flatMap((s) => s.services.map((x) => x.service)))];
  const roles = spec.servers.map((s) => s.role);
  const types = [...new Set(spec.servers.flatMap((s) => s.allowedTypes))];
  const counted = stage === "enterprise";
  return fc.record(
    {
      stage: usually(fc.constant<string>(stage), fc.constantFrom(stage.toUpperCase(), "grwoth")),
      location: usually(fc.constantFrom("fsn1", "NBG1", "hel1", "Fsn1"), fc.constantFrom("ash", "fns1")),
      // Each service twice and one typo: a slip in about one key of twenty.
      memoryLimits: someOf([...services, ...services, "celery_worker"], size),
      replicas: someOf(["celery-worker", "celery-worker", "celery-worker", "api"], count(1, 4)),
      serverTypes: someOf(
        roles,
        usually(
          fc.constantFrom(...types, ...types.map((t) => t.toUpperCase())),
          fc.constantFrom("cx22", "cax12", "cax11"),
        ),
      ),
      uvicornWorkers: count(1, 9),
      ...(counted ? { apiServers: count(2, 4), workerServers: count(1, 4), dbReplicas: count(1, 3) } : {}),
    },
    { requiredKeys: ["stage"] },
  );
});

interface Outcome {
  raw: Record<string, unknown>;
  plan?: Plan;
  problems?: { key: string; message: string }[];
}

const outcomes: Outcome[] = fc.sample(raw, { seed: SEED, numRuns: RUNS }).map((r) => {
  try {
    return { raw: r, plan: plan(parseConfig(r)) };
  } catch (error) {
    if (error instanceof ConfigError) return { raw: r, problems: error.problems };
    // Anything else is a crash: keep it, the test below names the config.
    return { raw: r, problems: [{ key: "CRASH", message: (error as Error).stack ?? String(error) }] };
  }
});
const accepted = outcomes.filter((o) => o.plan);
const heavy = accepted.filter((_, i) => i % HEAVY_EVERY === 0);

const composeSchema = JSON.parse(
  readFileSync(join(ROOT, "node_modules", "dclint", "schemas", "compose.schema.json"), "utf8"),
);

describe(`${RUNS} generated configs (seed ${SEED})`, () => {
  it("are planned or refused, never crash, and both outcomes happen", () => {
    process.stdout.write(
      `fuzz: ${accepted.length} accepted, ${outcomes.length - accepted.length} refused, ${heavy.length} through the slow tools\n`,
    );
    expect(
      outcomes
        .filter((o) => o.problems?.some((p) => p.key === "CRASH"))
        .map((o) => ({ raw: o.raw, crash: o.problems![0].message })),
    ).toEqual([]);
    expect(accepted.length).toBeGreaterThan(RUNS / 20);
    expect(accepted.length).toBeLessThan(RUNS);
  });

  it("name an orion: key in every problem of every refused config", () => {
    const unnamed = outcomes.flatMap((o) =>
      (o.problems ?? [])
        .filter((p) => !`${p.key} ${p.message}`.includes("orion:"))
        .map((p) => ({ raw: o.raw, problem: `${p.key} ${p.message}` })),
    );
    expect(unnamed).toEqual([]);
  });

  it("render compose files that the Compose Specification schema accepts, with whole-number replicas", () => {
    // The schema names draft-07 by its https address, which Ajv only knows as http; the draft is the same.
    const { $schema: _draft, ...schema } = composeSchema;
    const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
    const failures: unknown[] = [];
    for (const o of accepted) {
      for (const server of o.plan!.servers) {
        const compose = parse(renderServerFiles(o.plan!, server)["compose.yaml"]);
        if (!validate(compose)) failures.push({ raw: o.raw, server: server.name, errors: validate.errors });
        for (const [name, s] of Object.entries<{ deploy?: { replicas: unknown }; command?: string[] }>(
          compose.services,
        )) {
          if (s.deploy && !Number.isInteger(s.deploy.replicas))
            failures.push({ raw: o.raw, name, replicas: s.deploy.replicas });
          const perChild = s.command?.[s.command.indexOf("--max-memory-per-child") + 1];
          if (name === "celery-worker" && !(Number(perChild) > 0)) failures.push({ raw: o.raw, name, perChild });
        }
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it("render compose files that Docker Compose v2 and dclint accept, for a fixed sample", () => {
    const dirs: string[] = [];
    const failures: unknown[] = [];
    for (const o of heavy) {
      for (const server of o.plan!.servers) {
        const dir = writeTree({ ...renderServerFiles(o.plan!, server), ".env": `${COMPOSE_ENV}\n` });
        dirs.push(dir);
        const { status, output } = run(
          "docker",
          ["compose", "-f", "compose.yaml", "--profile", "full", "config", "--quiet"],
          { cwd: dir },
        );
        if (status !== 0) failures.push({ raw: o.raw, server: server.name, output });
      }
    }
    const lint = run(join(ROOT, "node_modules", ".bin", "dclint"), [
      "-f",
      "json",
      "-c",
      join(ROOT, ".dclintrc"),
      ...dirs.map((d) => join(d, "compose.yaml")),
    ]);
    const reports = JSON.parse(lint.output) as { filePath: string; messages: { rule: string; message: string }[] }[];
    for (const r of reports) if (r.messages.length > 0) failures.push({ file: r.filePath, messages: r.messages });
    expect(reports).toHaveLength(dirs.length);
    expect(failures.slice(0, 5)).toEqual([]);
  }, 600_000);

  it("render PostgreSQL settings that PostgreSQL accepts, and whose shared memory fits the container, for a fixed sample", () => {
    requireBinary(join(POSTGRES_BIN, "initdb"));
    const dir = serviceDir("orion-fuzz-pg-");
    const init = runAsServiceUser(join(POSTGRES_BIN, "initdb"), [
      "-D",
      join(dir, "data"),
      "-U",
      "postgres",
      "--auth-local=trust",
    ]);
    expect(init.status).toBe(0);
    const checked = new Map<string, number>();
    for (const o of heavy) {
      for (const server of o.plan!.servers) {
        const conf = renderServerFiles(o.plan!, server)["config/postgres/postgresql.conf"];
        const db = server.services.find((s) => s.name === "db" || s.name === "db-replica");
        if (!conf || !db || checked.has(conf)) continue;
        const path = writeServiceFile(dir, `check-${checked.size}.conf`, conf);
        const { status, output } = runAsServiceUser(join(POSTGRES_BIN, "postgres"), [
          "-D",
          join(dir, "data"),
          "-c",
          `config_file=${path}`,
          "-C",
          "shared_memory_size",
        ]);
        expect({ raw: o.raw, limitMb: db.memoryLimitMb, status, output: status === 0 ? "" : output }).toEqual({
          raw: o.raw,
          limitMb: db.memoryLimitMb,
          status: 0,
          output: "",
        });
        // PostgreSQL's own figure for its shared memory, in MB: it must leave room in the container for the connections.
        const sharedMb = Number(output.trim());
        expect({ raw: o.raw, fits: sharedMb < db.memoryLimitMb / 2 }).toEqual({ raw: o.raw, fits: true });
        checked.set(conf, sharedMb);
      }
    }
    process.stdout.write(`fuzz: postgres -C read ${checked.size} distinct postgresql.conf files\n`);
    expect(checked.size).toBeGreaterThan(0);
  }, 600_000);
});
