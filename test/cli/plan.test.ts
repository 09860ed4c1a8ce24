import { parseConfig } from "../../model/config";
import { plan } from "../../model/plan";
import { formatEur } from "../../model/units";
import { runCli } from "./run";

describe("npm run plan", () => {
  it("prints the guide's launch budget: 11 rows, 2,848 MB, the 1,150 MB reserve, a CAX11 at 4.50 EUR", () => {
    const { status, stdout } = runCli("plan.ts", ["--stage", "launch"]);
    expect(status).toBe(0);
    for (const row of [
      "db",
      "redis",
      "api",
      "celery-worker",
      "celery-beat",
      "flower",
      "prometheus",
      "grafana",
      "node-exporter",
      "cadvisor",
      "alertmanager",
    ]) {
      expect(stdout).toMatch(new RegExp(`│ ${row} +│`));
    }
    expect(stdout).toContain("2,848 MB");
    expect(stdout).toContain("~1,150 MB");
    expect(stdout).toContain("CAX11");
    expect(stdout).toContain("4.50 EUR");
  });

  it("prints valid JSON with the same figures", () => {
    const { status, stdout } = runCli("plan.ts", ["--stage", "launch", "--json"]);
    expect(status).toBe(0);
    const plan = JSON.parse(stdout);
    expect(plan.servers[0]).toMatchObject({ name: "app", type: "cax11", hostReserveMb: 1150, priceEurMonthly: 4.5 });
    expect(
      plan.servers[0].services
        .filter((s: { group: string }) => ["app", "monitoring"].includes(s.group))
        .reduce((sum: number, s: { totalMb: number }) => sum + s.totalMb, 0),
    ).toBe(2848);
  });

  it("reads Pulumi.prod.yaml as Pulumi would", () => {
    const { status, stdout } = runCli("plan.ts", ["--stack", "prod", "--json"]);
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ stage: "launch", location: "fsn1" });
  });

  it("takes --set overrides and fails an overflowing budget with a non-zero exit", () => {
    const { status, stderr } = runCli("plan.ts", ["--stage", "launch", "--set", "memoryLimits.celery-worker=3g"]);
    expect(status).toBe(1);
    expect(stderr).toContain("error: server app (cax11, 4,096 MB RAM) overflows by 2,550 MB");
  });

  it("exits non-zero on a misspelled stage, naming the key", () => {
    const { status, stderr } = runCli("plan.ts", ["--stage", "grwoth"]);
    expect(status).toBe(1);
    expect(stderr).toContain('orion:stage "grwoth" is not a stage');
  });

  it("exits non-zero on a stack without a stack file", () => {
    const { status, stderr } = runCli("plan.ts", ["--stack", "staging"]);
    expect(status).toBe(1);
    expect(stderr).toBe(
      "error: --stack staging: there is no Pulumi.staging.yaml here; the stacks here are prod; create it with `pulumi stack init staging`\n",
    );
  });

  it("--policy runs the program offline through the policy pack and passes the default stack", () => {
    const { status, stdout } = runCli("plan.ts", ["--stack", "prod", "--policy"]);
    expect(status).toBe(0);
    expect(stdout).toContain("✅ orion@v0.1.0 (local: policies)");
  }, 300_000);

  it("--policy says each finding once: the pack's advisory, without the plan's and the program's copies", () => {
    const { status, stdout, stderr } = runCli("plan.ts", [
      "--stage",
      "scale",
      "--set",
      "monthlyBudgetEur=20",
      "--policy",
    ]);
    expect(status).toBe(0);
    // Scale's cost with Object Storage for the backups (30.78 EUR when this was written), said once.
    const cost = formatEur(plan(parseConfig({ stage: "scale" })).cost.totalEur);
    expect(`${stdout}${stderr}`.split(`${cost} a month`)).toHaveLength(2);
    expect(`${stdout}${stderr}`).not.toContain("[runtime]");
    expect(stdout).toContain("- [advisory]  stage-enforce-monthly-budget\n");
  });

  it("plans every stage", () => {
    for (const stage of ["launch", "early-growth", "growth", "scale", "enterprise"]) {
      expect(runCli("plan.ts", ["--stage", stage, "--json"]).status).toBe(0);
    }
  });
});
