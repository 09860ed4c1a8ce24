import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./run";

const SCRIPT = join(ROOT, "scripts", "install-test-tools.sh");

/**
 * Runs a copy of the script (in a temporary directory any user can read, wherever the checkout is),
 * changed by `edit`, as another user (`nobody`), as a contributor without root would. The script it asks
 * what Debian 13 must supply (.ci/install-from-debian13) is copied beside it, as in the checkout.
 */
function asNobody(edit: (text: string) => string = (text) => text) {
  const dir = mkdtempSync(join(tmpdir(), "orion-tools-"));
  try {
    mkdirSync(join(dir, "scripts"));
    mkdirSync(join(dir, ".ci"));
    const copy = join(dir, "scripts", "install-test-tools.sh");
    const fromDebian13 = join(dir, ".ci", "install-from-debian13");
    writeFileSync(copy, edit(readFileSync(SCRIPT, "utf8")));
    writeFileSync(fromDebian13, readFileSync(join(ROOT, ".ci", "install-from-debian13"), "utf8"));
    for (const path of [dir, join(dir, "scripts"), join(dir, ".ci"), copy, fromDebian13]) chmodSync(path, 0o755);
    return {
      copy,
      ...spawnSync("su", ["nobody", "-s", "/bin/bash", "-c", copy], { encoding: "utf8", timeout: 120_000 }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("scripts/install-test-tools.sh, the one place that installs the tests' Debian tools", () => {
  it("is what `npm test` runs first and what CI runs, so the two cannot drift", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.scripts.pretest).toBe("scripts/install-test-tools.sh");
    expect(readFileSync(join(ROOT, ".ci", "run"), "utf8")).toMatch(/^scripts\/install-test-tools\.sh$/m);
  });

  it("does nothing when every tool is installed, for root and for any other user", () => {
    const root = spawnSync(SCRIPT, [], { encoding: "utf8", timeout: 120_000 });
    expect([root.status, root.stdout, root.stderr]).toEqual([0, "", ""]);
    const other = asNobody();
    expect([other.status, other.stdout, other.stderr]).toEqual([0, "", ""]);
  });

  it("names a missing package to another user and prints the one command that installs it, without running apt", () => {
    const result = asNobody((text) => text.replace("DEBIAN_PACKAGES=(", "DEBIAN_PACKAGES=(orion-no-such-tool "));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `The tests need tools that are not installed: orion-no-such-tool.\nInstall them once, as root:  sudo ${result.copy}\n`,
    );
  });
});
