import { spawnSync } from "node:child_process";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { renderPullScript } from "../../model/render/deploy-script";
import { writeTree } from "./tools";

/**
 * A `docker` that records each pull and ends it only once every expected
 * pull has started: pulls run one after another never get past the first,
 * which then gives up and says so. An image named `*missing*` fails, as a
 * pull of an unknown tag does.
 */
function pullWith(images: string[], expectedConcurrent: number): { status: number; log: string[]; output: string } {
  const dir = writeTree(
    {
      docker: `#!/bin/bash
set -u
[ "$1 $2" = "pull --quiet" ] || { echo "unexpected: docker $*" >&2; exit 99; }
echo "start $3" >> "$LOG"
for _ in $(seq 1 200); do
  [ "$(grep -c '^start ' "$LOG")" -ge ${expectedConcurrent} ] && break
  sleep 0.1
done
[ "$(grep -c '^start ' "$LOG")" -ge ${expectedConcurrent} ] || echo "alone $3" >> "$LOG"
echo "end $3" >> "$LOG"
case "$3" in *missing*) echo "Error response from daemon: manifest for $3 not found" >&2; exit 1;; esac
echo "$3"
`,
      log: "",
    },
    "orion-pull-",
  );
  chmodSync(join(dir, "docker"), 0o755);
  const result = spawnSync("bash", ["-c", renderPullScript(images)], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, LOG: join(dir, "log") },
    timeout: 60_000,
  });
  return {
    status: result.status ?? -1,
    log: readFileSync(join(dir, "log"), "utf8").trim().split("\n").sort(),
    output: `${result.stdout}${result.stderr}`,
  };
}

describe("pulling a server's images before its deploy", () => {
  const images = [
    "postgres:15-alpine@sha256:aa",
    "redis:7-alpine@sha256:bb",
    "orion/orion:1.0.0@sha256:cc",
    "redis:7-alpine@sha256:bb",
  ];

  it("pulls every image once, all at the same time", () => {
    const result = pullWith(images, 3);
    expect({ status: result.status, log: result.log }).toEqual({
      status: 0,
      log: [
        "end orion/orion:1.0.0@sha256:cc",
        "end postgres:15-alpine@sha256:aa",
        "end redis:7-alpine@sha256:bb",
        "start orion/orion:1.0.0@sha256:cc",
        "start postgres:15-alpine@sha256:aa",
        "start redis:7-alpine@sha256:bb",
      ],
    });
  });

  it("fails when one pull fails, after every pull has ended, naming the image", () => {
    const result = pullWith(["postgres:15-alpine", "orion/orion:missing", "redis:7-alpine"], 3);
    expect(result.status).toBe(1);
    expect(result.log.filter((l) => l.startsWith("end "))).toHaveLength(3);
    expect(result.output).toContain("manifest for orion/orion:missing not found");
  });
});
