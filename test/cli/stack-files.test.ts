import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runCli } from "./run";

/** A project folder with the real Pulumi.yaml and the given stack files, as an operator's checkout would have them. */
function project(stacks: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "orion-stacks-"));
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  for (const [name, text] of Object.entries(stacks)) writeFileSync(join(dir, `Pulumi.${name}.yaml`), text);
  return dir;
}

describe("stack files an operator can get wrong", () => {
  const dir = project({
    empty: "",
    comment: "# settings come later\n",
    dup: "config:\n  orion:stage: launch\n  orion:stage: growth\n",
    loop: "config:\n  orion:adminCidrs: &cidrs\n    - *cidrs\n",
    list: "- orion:stage\n",
  });

  it.each(["empty", "comment"])("plans a %s stack file with the project's defaults, as Pulumi accepts it", (stack) => {
    const { status, stdout, stderr } = runCli("plan.ts", ["--stack", stack, "--json"], dir);
    expect({ status, stderr }).toEqual({ status: 0, stderr: "" });
    expect(JSON.parse(stdout).stage).toBe("launch");
  });

  it.each([
    ["dup", "error: Pulumi.dup.yaml line 3, column 3: orion:stage appears twice in the same map; keep one"],
    [
      "loop",
      "error: Pulumi.loop.yaml line 3: the alias *cidrs refers to the node that contains it; write the value out instead",
    ],
    ["list", "error: Pulumi.list.yaml is not a YAML map of settings; start it with `config:`"],
  ])("refuses the %s stack file in one line naming the file and the problem", (stack, message) => {
    const { status, stderr } = runCli("plan.ts", ["--stack", stack], dir);
    expect({ status, stderr }).toEqual({ status: 1, stderr: `${message}\n` });
  });

  it("lists the stacks that exist when --stack names none of them", () => {
    const { status, stderr } = runCli("plan.ts", ["--stack", "staging"], dir);
    expect({ status, stderr }).toEqual({
      status: 1,
      stderr:
        "error: --stack staging: there is no Pulumi.staging.yaml here; the stacks here are comment, dup, empty, list, loop; create it with `pulumi stack init staging`\n",
    });
  });
});

describe("app secrets set as the README says (pulumi config set --secret --path)", () => {
  it("plans the stack, naming each secret in the compose file and the env file's keys, never its value", () => {
    const dir = project({
      prod: "config:\n  orion:stage: launch\n  orion:appSecrets:\n    SECRET_KEY:\n      secure: v1:AAAAsecretkey\n    STRIPE_KEY:\n      secure: v1:AAAAstripekey\n",
    });
    const out = join(dir, "out");
    const { status, stderr } = runCli("plan.ts", ["--stack", "prod", "--out", out], dir);
    expect({ status, stderr }).toEqual({ status: 0, stderr: "" });
    const keys = readFileSync(join(out, "app", "env-keys.txt"), "utf8").split("\n");
    const compose = readFileSync(join(out, "app", "compose.yaml"), "utf8");
    expect(keys).toEqual(expect.arrayContaining(["SECRET_KEY", "STRIPE_KEY"]));
    expect(compose).toContain("STRIPE_KEY: ${STRIPE_KEY}");
    expect(compose).not.toContain("AAAAstripekey");
  });
});

describe("npm run advise with a Prometheus address an operator types", () => {
  it("answers a URL without a scheme with the fix, exit 1, no stack trace", () => {
    const { status, stdout, stderr } = runCli("advise.ts", ["--prometheus", "localhost:9090", "--stage", "launch"]);
    expect({ status, stdout, stderr }).toEqual({
      status: 1,
      stdout: "",
      stderr: "error: --prometheus localhost:9090 has no scheme; use http://localhost:9090\n",
    });
  });
  it("keeps exit 3 for a Prometheus it cannot reach", () => {
    // Port 9 (discard) on loopback: nothing listens there in a test run.
    const { status, stderr } = runCli("advise.ts", ["--prometheus", "http://127.0.0.1:9", "--stage", "launch"]);
    expect(status).toBe(3);
    expect(stderr).toMatch(/^error: cannot reach Prometheus at http:\/\/127.0.0.1:9: /);
  });
  it("answers a bad --at with exit 1", () => {
    const { status, stderr } = runCli("advise.ts", [
      "--prometheus",
      "http://127.0.0.1:9",
      "--stage",
      "launch",
      "--at",
      "yesterday",
    ]);
    expect({ status, stderr }).toEqual({
      status: 1,
      stderr: "error: --at yesterday is not a time; use RFC 3339, e.g. 2026-11-27T10:00:00Z\n",
    });
  });
});
