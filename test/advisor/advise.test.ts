import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { runCli } from "../cli/run";
import { run } from "../render/tools";
import { freePort, serviceDir, startProcess, waitFor, type RunningServer } from "../servers/support";
import { endOf, openMetrics } from "./datasets";

/** A real Prometheus (Debian's), loaded with synthetic history by promtool, on 127.0.0.1 in a temporary directory. */
let prometheus: RunningServer;
let url: string;

beforeAll(async () => {
  const dir = serviceDir("orion-prom-");
  writeFileSync(join(dir, "history.om"), openMetrics());
  const blocks = run("promtool", [
    "tsdb",
    "create-blocks-from",
    "openmetrics",
    join(dir, "history.om"),
    join(dir, "data"),
  ]);
  if (blocks.status !== 0) throw new Error(`promtool could not build blocks: ${blocks.output}`);
  writeFileSync(join(dir, "prometheus.yml"), "global:\n  scrape_interval: 1m\nscrape_configs: []\n");
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  prometheus = startProcess(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      "--storage.tsdb.retention.time=100y",
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { serviceUser: false, port, dir },
  );
  await waitFor("Prometheus", async () => (await fetch(`${url}/-/ready`)).ok, 60_000, prometheus);
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
});

const advise = (scenario: string, ...extra: string[]) =>
  runCli("advise.ts", ["--prometheus", url, "--stage", "launch", "--at", endOf(scenario).toISOString(), ...extra]);
const adviseJson = (scenario: string, ...extra: string[]) => {
  const result = advise(scenario, "--json", ...extra);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
  return JSON.parse(result.stdout);
};

describe("the scaling advisor on a live Prometheus", () => {
  it("RAM consistently >80%: upgrade the server, here the move to early-growth and its cost", () => {
    const advice = adviseJson("ram");
    expect(advice.path.map((s: { answer: boolean }) => s.answer)).toEqual([true]);
    expect(advice.path[0].values).toEqual([{ server: "app", value: 85 }]);
    expect(advice).toMatchObject({
      leaf: "upgrade-server",
      commands: ["pulumi config set orion:stage early-growth"],
      cost: { currentEur: 11.28, proposedEur: 14.88, deltaEur: 3.6 },
    });
  });

  it("P95 >2s and DB-bound: add PgBouncer, which the growth stage brings", () => {
    const advice = adviseJson("db-bound");
    expect(advice.path.map((s: { answer: boolean }) => s.answer)).toEqual([false, true, true]);
    expect(advice.path[1].values[0].value).toBeGreaterThan(2);
    expect(advice).toMatchObject({
      leaf: "pgbouncer-or-pool",
      commands: ["pulumi config set orion:stage growth"],
      cost: { deltaEur: 3.6 },
    });
  });

  it("P95 >2s and not DB-bound: more Uvicorn workers, at no cost", () => {
    const advice = adviseJson("cpu-bound");
    expect(advice.path.map((s: { answer: boolean }) => s.answer)).toEqual([false, true, false]);
    expect(advice).toMatchObject({
      leaf: "workers-or-cpu",
      commands: ["pulumi config set orion:uvicornWorkers 2"],
      cost: { deltaEur: 0 },
    });
  });

  it("disk >80% on /: clean up, or grow the root disk by a type change without keepDisk, never the pgdata volume, which is not on /", () => {
    const advice = adviseJson("disk");
    expect(advice.path.map((s: { answer: boolean }) => s.answer)).toEqual([false, false, true]);
    expect(advice).toMatchObject({
      leaf: "disk",
      commands: ["pulumi config set --path orion:keepDisk.app false", "pulumi config set orion:stage early-growth"],
      cost: { currentEur: 11.28, proposedEur: 14.88 },
    });
    expect(advice.detail).toContain("docker system prune");
    expect(advice.detail).toContain(
      "PostgreSQL's data is on the pgdata volume, not on /, so growing that volume does not help",
    );
    expect(advice.detail).toContain(
      "app's root disk is 40 GB; it grows only when the server changes type without keepDisk, to 80 GB as a CAX21, and from then on app can never move to a type with a smaller disk (no downgrade)",
    );
  });

  it("disk >80% on a rescaled server: says its disk was kept at the size it was created with", () => {
    const advice = advise("disk", "--json", "--stage", "scale");
    expect(advice.status).toBe(0);
    const parsed = JSON.parse(advice.stdout);
    expect(parsed.detail).toContain("app's root disk is 40 GB (kept from CAX11 at creation; a new CAX31 has 160 GB)");
    expect(parsed.commands).toEqual([
      "pulumi config set --path orion:keepDisk.app false",
      "pulumi config set --path orion:serverTypes.app cax41",
    ]);
  });

  it("Celery queue >100 for 10 min: another celery-worker replica, which needs the CAX21 of early-growth", () => {
    const advice = adviseJson("celery");
    expect(advice.path.map((s: { answer: boolean }) => s.answer)).toEqual([false, false, false, true]);
    expect(advice).toMatchObject({
      leaf: "celery-replicas",
      commands: [
        "pulumi config set orion:stage early-growth",
        "pulumi config set --path orion:replicas.celery-worker 2",
      ],
    });
  });

  it("nothing over its threshold, a RAM spike included: no scaling needed", () => {
    const advice = adviseJson("none", "--clients", "1", "--stores", "20");
    expect(advice.path.map((s: { answer: boolean }) => s.answer)).toEqual([false, false, false, false]);
    expect(advice).toMatchObject({ leaf: "none", action: "No scaling needed", commands: [] });
    expect(advice.secondOpinion).toContain("1 clients and 20 stores fit launch");
  });

  it("prints the path, the values, the command and the cost as text", () => {
    const { status, stdout } = advise("ram");
    expect(status).toBe(0);
    expect(stdout).toContain("1. Is RAM consistently >80%?\n   app 85.0% (lowest value over the window) -> YES");
    expect(stdout).toContain("pulumi config set orion:stage early-growth");
    expect(stdout).toContain("Monthly cost: 11.28 EUR -> 14.88 EUR (+3.60 EUR)");
  });

  it("checks clients and stores against the guide's timeline as a second opinion", () => {
    expect(adviseJson("none", "--clients", "12", "--stores", "150").secondOpinion).toContain(
      "12 clients and 150 stores call for scale, beyond launch",
    );
  });

  it("names the exporter behind a missing metric and exits non-zero, never answering no scaling needed", () => {
    const { status, stdout, stderr } = advise("missing-queue");
    expect(status).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(
      /no data for "Are Celery tasks queuing >100 for >10m\?".*check that the redis-exporter job is scraped/,
    );
  });

  it("says which URL it cannot reach and exits non-zero", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const { status, stderr } = runCli("advise.ts", ["--prometheus", closed, "--stage", "launch"]);
    expect(status).toBe(3);
    expect(stderr).toContain(`cannot reach Prometheus at ${closed}`);
  });
});
