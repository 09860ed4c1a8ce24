import { join } from "node:path";
import { parse } from "yaml";
import { parseConfig } from "../../model/config";
import { plan, type Plan } from "../../model/plan";
import { CADDYFILE } from "../../model/render/caddy";
import { RELEASE_SCRIPT, SURGE_CADDYFILE } from "../../model/render/release-script";
import { renderEnvFile, renderServerFiles } from "../../model/render/server-files";
import { STAGE_NAMES } from "../../model/stages";
import { planFor } from "../helpers";
import { run, writeTree } from "./tools";

/**
 * The release script and the files a release uses, read by the tools that
 * run them: bash and ShellCheck for the script, Caddy for the surge
 * Caddyfile, Docker Compose for the app's variables. The release itself runs
 * on the test bed (test/hosts/scenarios/release.test.ts).
 */
const withApp = (stage: (typeof STAGE_NAMES)[number]): Plan =>
  plan({
    ...parseConfig({
      stage,
      domain: "orion.example.com",
      appMigrateCommand: "alembic upgrade head",
      appEnv: { LOG_LEVEL: "info" },
    }),
    appSecretNames: ["SECRET_KEY"],
  });
const plans: [string, Plan][] = [
  ...STAGE_NAMES.map((stage) => [stage, withApp(stage)] as [string, Plan]),
  [
    "enterprise with a Hetzner managed certificate",
    planFor("enterprise", { domain: "orion.example.com", loadBalancerTls: "hetzner-managed" }),
  ],
];
const scripts = plans
  .flatMap(([label, p]) => p.servers.map((s) => [label, s.name, renderServerFiles(p, s)[RELEASE_SCRIPT]] as const))
  .filter(([, , script]) => script !== undefined);

describe("the release script", () => {
  it.each(scripts)("%s, %s: bash reads it and ShellCheck finds nothing", (_label, _server, script) => {
    const dir = writeTree({ "release.sh": script });
    const syntax = run("bash", ["-n", join(dir, "release.sh")]);
    expect(syntax).toEqual({ status: 0, output: "" });
    const lint = run("shellcheck", ["--severity=warning", "--shell=bash", join(dir, "release.sh")]);
    expect(lint).toEqual({ status: 0, output: "" });
  });

  it("every server that runs the app, the database or Grafana has one; the others do not", () => {
    const p = withApp("enterprise");
    const having = p.servers.filter((s) => renderServerFiles(p, s)[RELEASE_SCRIPT] !== undefined).map((s) => s.name);
    expect(having).toEqual(["app", "api-2", "db", "worker-1", "worker-2"]);
  });

  it("the migration runs only on the app server, with the direct URL", () => {
    const p = withApp("scale");
    const app = renderServerFiles(
      p,
      p.servers.find((s) => s.name === "app")!,
    )[RELEASE_SCRIPT];
    const db = renderServerFiles(
      p,
      p.servers.find((s) => s.name === "db")!,
    )[RELEASE_SCRIPT];
    expect(app).toContain("MIGRATE_COMMAND='alembic upgrade head'");
    expect(app).toContain(
      'DATABASE_URL="$DATABASE_URL_DIRECT" compose run --rm --no-deps -T api sh -c "$MIGRATE_COMMAND"',
    );
    expect(app).toContain("# The migration uses the direct URL (10.0.1.20:5432), never PgBouncer");
    expect(db).toContain("MIGRATE_COMMAND=''");
  });
});

interface Adapted {
  apps: { http: { servers: Record<string, unknown> } };
}

function adapt(caddyfile: string): Adapted {
  const dir = writeTree({ Caddyfile: caddyfile });
  const { status, output } = run("caddy", ["adapt", "--config", join(dir, "Caddyfile"), "--adapter", "caddyfile"]);
  expect({ status, error: status === 0 ? "" : output }).toEqual({ status: 0, error: "" });
  return JSON.parse(output.slice(output.indexOf("{")));
}

const dials = (config: unknown): string[] => JSON.stringify(config).match(/"dial":"[^"]+"/g) ?? [];

describe("Caddy's config while the surge serves", () => {
  const surging = plans.flatMap(([label, p]) =>
    p.servers
      .filter((s) => renderServerFiles(p, s)[SURGE_CADDYFILE] !== undefined)
      .map((s) => [label, s.name, p] as const),
  );

  it("exists wherever a release surges: the app server on every stage, each API server with a managed certificate", () => {
    expect(surging.map(([label, server]) => `${label}/${server}`)).toEqual([
      "launch/app",
      "early-growth/app",
      "growth/app",
      "scale/app",
      "enterprise/app",
      "enterprise with a Hetzner managed certificate/app",
      "enterprise with a Hetzner managed certificate/api-2",
    ]);
  });

  it.each(surging)(
    "%s, %s: Caddy reads it, and it differs from the Caddyfile only in this server's API upstream, moved to the surge port",
    (_label, name, p) => {
      const files = renderServerFiles(
        p,
        p.servers.find((s) => s.name === name)!,
      );
      const canonical = adapt(files[CADDYFILE]);
      const surge = adapt(files[SURGE_CADDYFILE]);
      const before = dials(canonical);
      const after = dials(surge);
      const moved = before.filter((d, i) => d !== after[i]);
      expect(moved).toHaveLength(1);
      const [, host, port] = /"dial":"(.+):(\d+)"/.exec(moved[0])!;
      expect(after).toContain(`"dial":"${host}:${Number(port) + 1}"`);
      expect(JSON.stringify(surge).replace(`${host}:${Number(port) + 1}`, `${host}:${port}`)).toBe(
        JSON.stringify(canonical),
      );
    },
  );
});

describe("the app's settings and secrets reach the app's containers through the env file only", () => {
  const p = withApp("growth");
  const app = p.servers[0];
  const files = renderServerFiles(p, app);
  const env = renderEnvFile(
    p,
    app,
    { dbPassword: "db-pw-1", flowerPassword: "f", grafanaPassword: "g", appSecrets: { SECRET_KEY: "app-secret-4f1c" } },
    { LOG_LEVEL: "info" },
  );
  const dir = writeTree({ "compose.yaml": files["compose.yaml"], ".env": env });
  const resolved = run("docker", ["compose", "-p", "orion", "--profile", "full", "config", "--format", "json"], {
    cwd: dir,
  });
  const services = (
    JSON.parse(resolved.output.slice(resolved.output.indexOf("{"))) as {
      services: Record<string, { environment?: Record<string, string> }>;
    }
  ).services;

  it("the compose file names them; only the env file holds their values", () => {
    const compose = parse(files["compose.yaml"]) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    expect(compose.services.api.environment).toMatchObject({ LOG_LEVEL: "${LOG_LEVEL}", SECRET_KEY: "${SECRET_KEY}" });
    expect(files["compose.yaml"]).not.toContain("app-secret-4f1c");
    expect(env).toContain("SECRET_KEY='app-secret-4f1c'");
  });

  it.each(["api", "celery-worker", "celery-beat"])("%s gets them, as docker compose resolves them", (service) => {
    expect(resolved.status).toBe(0);
    expect(services[service].environment).toMatchObject({ LOG_LEVEL: "info", SECRET_KEY: "app-secret-4f1c" });
  });

  it.each(["db", "pgbouncer", "flower", "grafana", "redis"])("%s does not", (service) => {
    expect(Object.keys(services[service].environment ?? {})).not.toContain("SECRET_KEY");
  });

  it("PostgreSQL takes its first password from a file, so a new orion:dbPassword does not recreate it", () => {
    expect(services.db.environment).toMatchObject({ POSTGRES_PASSWORD_FILE: "/etc/postgresql/secrets/db_password" });
    expect(JSON.stringify(services.db)).not.toContain("db-pw-1");
  });
});
