import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

/** `npm run plan` lines of the README's shell blocks, comments removed. */
function planCommands(): string[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return (
    blocks
      .flatMap((b) => b.split("\n"))
      .map((line) => line.replace(/\s+#.*$/, "").trim())
      // The set-up line starts with `npm ci`, which the test run has already done.
      .map((line) => line.replace(/^npm ci && /, ""))
      .filter((line) => line.startsWith("npm run plan"))
  );
}

describe("the README's offline commands", () => {
  afterAll(() => rmSync(join(ROOT, "rendered"), { recursive: true, force: true }));

  it("include the plan, the stack, --set, --json, --out and --policy", () => {
    const commands = planCommands().join("\n");
    for (const flag of ["--stage launch", "--stack prod", "--set", "--json", "--out", "--policy"])
      expect(commands).toContain(flag);
  });

  it.each(planCommands())("`%s` runs as written", (command) => {
    const result = spawnSync("bash", ["-c", command], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    expect({ command, status: result.status, stderr: result.status === 0 ? "" : result.stderr }).toEqual({
      command,
      status: 0,
      stderr: "",
    });
  });
});
