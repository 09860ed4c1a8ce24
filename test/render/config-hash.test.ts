import type { Plan } from "../../model/plan";
import { renderEnvFile, renderServerFiles } from "../../model/render/server-files";
import type { AlertReceivers } from "../../model/render/monitoring";
import { planFor } from "../helpers";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { run } from "./tools";

const DIR = join(mkdtempSync(join(tmpdir(), "orion-hash-")), "orion");

/**
 * Which containers a deploy recreates, asked of Compose itself:
 * `docker compose config --hash '*'` prints the hash `up` compares with the
 * running container's to decide whether to recreate it.
 */
const SECRETS = {
  dbPassword: "db-password",
  flowerPassword: "f",
  grafanaPassword: "g",
  alertWebhookUrl: "https://hooks.example.com/one",
};

function serviceHashes(
  plan: Plan,
  serverName: string,
  secrets = SECRETS,
  receivers: AlertReceivers = { webhook: false },
): Record<string, string> {
  const server = plan.servers.find((s) => s.name === serverName)!;
  // One directory for every render: compose hashes the absolute source paths of bind mounts, as on a server, where it is always /opt/orion.
  rmSync(DIR, { recursive: true, force: true });
  for (const [path, content] of Object.entries({
    ...renderServerFiles(plan, server, {}, receivers),
    ".env": renderEnvFile(plan, server, secrets),
  })) {
    mkdirSync(dirname(join(DIR, path)), { recursive: true });
    writeFileSync(join(DIR, path), content);
  }
  const dir = DIR;
  const { status, output } = run("docker", ["compose", "-p", "orion", "--profile", "full", "config", "--hash", "*"], {
    cwd: dir,
  });
  expect({ status, error: status === 0 ? "" : output }).toEqual({ status: 0, error: "" });
  return Object.fromEntries(
    output
      .trim()
      .split("\n")
      .map((line) => line.split(" ") as [string, string]),
  );
}

function changed(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after })
    .filter((name) => before[name] !== after[name])
    .sort();
}

describe("a change to a file a service reads, as compose decides what to recreate", () => {
  it("adding an enterprise worker server recreates PostgreSQL on the db server (pg_hba.conf) and Prometheus on the app server (prometheus.yml), and nothing else", () => {
    const two = planFor("enterprise", { workerServers: 2 });
    const three = planFor("enterprise", { workerServers: 3 });
    expect(changed(serviceHashes(two, "db"), serviceHashes(three, "db"))).toEqual(["db"]);
    expect(changed(serviceHashes(two, "app"), serviceHashes(three, "app"))).toEqual(["prometheus"]);
    for (const server of ["redis", "api-2", "worker-1"])
      expect([server, changed(serviceHashes(two, server), serviceHashes(three, server))]).toEqual([server, []]);
  });

  it("a new PostgreSQL setting recreates only the database", () => {
    const before = planFor("growth");
    const after = planFor("growth", { memoryLimits: { db: "1536m" } });
    // The limit itself changes the db service; the point is that pgbouncer, which reads its own file, stays.
    expect(changed(serviceHashes(before, "app"), serviceHashes(after, "app"))).toEqual(["db"]);
  });

  it("a new Caddyfile recreates nothing: the deploy applies it with caddy reload", () => {
    expect(
      changed(
        serviceHashes(planFor("launch"), "app"),
        serviceHashes(planFor("launch", { domain: "orion.example.com" }), "app"),
      ),
    ).toEqual([]);
  });

  it("a new alert webhook URL (a secret the server writes into Alertmanager's config) recreates only Alertmanager", () => {
    const plan = planFor("launch");
    const before = serviceHashes(plan, "app", SECRETS, { webhook: true });
    const after = serviceHashes(
      plan,
      "app",
      { ...SECRETS, alertWebhookUrl: "https://hooks.example.com/two" },
      { webhook: true },
    );
    expect(changed(before, after)).toEqual(["alertmanager"]);
  });

  it("the same inputs give the same hashes: a rerun recreates nothing", () => {
    expect(changed(serviceHashes(planFor("scale"), "app"), serviceHashes(planFor("scale"), "app"))).toEqual([]);
  });
});
