import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { committedLock } from "../../model/images";
import type { MockRun } from "../../offline/mock-run";
import { OFFLINE_DEFAULTS, OFFLINE_SECRETS, runOrion } from "../../offline/orion";
import { unwrap } from "../../offline/wire";
import { deployOf } from "../program/support";
import { run } from "../render/tools";
import { runCli } from "./run";

/** `--set` arguments for the offline stack's settings, so that the CLI and the program see the same config. */
const sets = Object.entries(OFFLINE_DEFAULTS).flatMap(([k, v]) => [
  "--set",
  `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`,
]);
// The pgBackRest image's tag hashes its Dockerfile, whose FROM names the base image by digest: a digest too.
const withoutDigests = (text: string) =>
  text.replace(/@sha256:[0-9a-f]{64}/g, "").replace(/(orion-postgres:\S+-)[0-9a-f]{12}\b/g, "$1<dockerfile hash>");

describe("npm run plan -- --out writes what each server receives", () => {
  const dir = mkdtempSync(join(tmpdir(), "orion-out-"));
  let program: MockRun;
  let result: ReturnType<typeof runCli>;
  beforeAll(async () => {
    result = runCli("plan.ts", ["--stage", "scale", "--out", dir, ...sets]);
    // The CLI run has no stack file, so no orion:appSecrets names; the program's run has none either.
    const { [`orion:appSecrets`]: _app, ...secrets } = OFFLINE_SECRETS;
    // The committed images.lock.json, as --out reads it; a preview, since pulumi up refuses while the lock lacks digests.
    program = await runOrion({ stage: "scale" }, { lock: committedLock(), secrets });
  }, 120_000);

  it("a folder per server with its files, deploy script, pull script and env-file keys", () => {
    expect(result.status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(["app", "cloud-init.yaml", "db"]);
    for (const server of ["app", "db"])
      expect(readdirSync(join(dir, server))).toEqual(
        expect.arrayContaining(["compose.yaml", "config", "deploy.sh", "pull.sh", "env-keys.txt"]),
      );
    // From scale on the database has left the app server, which releases the volume first.
    expect(readdirSync(join(dir, "app"))).toContain("release-pgdata.sh");
  });

  it.each(["app", "db"])(
    "writes %s's deploy script exactly as `pulumi up` sends it (image digests aside)",
    (server) => {
      expect(withoutDigests(readFileSync(join(dir, server, "deploy.sh"), "utf8"))).toBe(
        withoutDigests(String(unwrap(deployOf(program, server).inputs.create))),
      );
      const { status, output } = run("bash", ["-n", join(dir, server, "deploy.sh")]);
      expect({ status, output }).toEqual({ status: 0, output: "" });
    },
  );

  it.each(["app", "db"])("lists the variables of %s's env file, never a value", (server) => {
    const envFile = String(unwrap(deployOf(program, server).inputs.stdin));
    const keys = envFile
      .trim()
      .split("\n")
      .map((line) => line.slice(0, line.indexOf("=")));
    const listed = readFileSync(join(dir, server, "env-keys.txt"), "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    expect(listed).toEqual(keys);
    const everything = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"))
      .join("\n");
    for (const secret of Object.values(OFFLINE_SECRETS)) expect(everything).not.toContain(secret);
  });
});
