import stringWidth from "string-width";
import { renderPlanText } from "../../model/report/plan-text";
import { STAGE_NAMES } from "../../model/stages";
import { planFor } from "../helpers";
import { runCli } from "./run";

const widest = (text: string) => Math.max(...text.split("\n").map((line) => stringWidth(line)));

describe("the plan an operator reads in a terminal", () => {
  // Overrides, findings and the enterprise stage make the longest lines there are.
  const plans = [
    ...STAGE_NAMES.map((stage) => planFor(stage)),
    planFor("growth", {
      memoryLimits: { db: "2g" },
      adminCidrs: ["0.0.0.0/0"],
      monthlyBudgetEur: 5,
      clients: 30,
      stores: 600,
    }),
  ];

  it.each([60, 80, 100, 132])("fits %i columns in every stage", (width) => {
    const tooWide = plans
      .map((p) => ({ stage: p.stage, widest: widest(renderPlanText(p, { width })) }))
      .filter((p) => p.widest > width);
    expect(tooWide).toEqual([]);
  });

  it("shows the Purpose column only where it fits unwrapped", () => {
    expect(renderPlanText(planFor("launch"), { width: 80 })).not.toContain("Purpose");
    expect(renderPlanText(planFor("launch"), { width: 132 })).toContain("│ PostgreSQL 15 ");
  });

  it("marks a limit set in config, with or without the Purpose column", () => {
    const text = renderPlanText(planFor("growth", { memoryLimits: { db: "2g" } }), { width: 80 });
    expect(text).toMatch(/│ db \* +│ 2,048 MB │/);
    expect(text).toContain("* set in config (orion:memoryLimits");
  });

  it("npm run plan fits 80 columns when its output is not a terminal", () => {
    const { status, stdout } = runCli("plan.ts", ["--stage", "enterprise"]);
    expect(status).toBe(0);
    expect(widest(stdout)).toBeLessThanOrEqual(80);
    expect(stdout).toContain("Total containers");
  });

  it("npm run plan follows COLUMNS, and --json is the same at any width", () => {
    const wide = runCli("plan.ts", ["--stage", "growth"], undefined, { COLUMNS: "140" });
    expect(widest(wide.stdout)).toBeGreaterThan(80);
    expect(widest(wide.stdout)).toBeLessThanOrEqual(140);
    const narrow = runCli("plan.ts", ["--stage", "growth", "--json"], undefined, { COLUMNS: "60" });
    const broad = runCli("plan.ts", ["--stage", "growth", "--json"], undefined, { COLUMNS: "200" });
    expect(narrow.stdout).toBe(broad.stdout);
    expect(JSON.parse(narrow.stdout).servers[0].services[0]).toMatchObject({
      name: "db",
      memoryLimitMb: 1024,
      purpose: "PostgreSQL 15",
    });
  });
});
