import { spawnSync } from "node:child_process";
import { PGBACKREST_DEBIAN_VERSION } from "../../model/backup";
import { renderRestoreCommand } from "../../model/render/restore-command";
import { renderEnvFile, renderServerFiles } from "../../model/render/server-files";
import { STAGE_NAMES } from "../../model/stages";
import { planFor } from "../helpers";
import { runCli } from "../cli/run";
import { run, writeTree } from "./tools";

const secrets = {
  dbPassword: "db-pw-1",
  flowerPassword: "fl-pw-2",
  grafanaPassword: "gr-pw-3",
  backupAccessKey: "AKID-4",
  backupSecretKey: "s3-secret-5",
  backupPassphrase: "cipher-pass-6",
};

describe.each(STAGE_NAMES)("backups in the %s stage", (stage) => {
  const plan = planFor(stage, { backupBucket: "orion-prod-backups" });

  it("run pgBackRest beside every PostgreSQL, and only there", () => {
    for (const server of plan.servers) {
      const postgres = server.services.some((s) => s.name === "db" || s.name === "db-replica");
      expect([server.name, server.services.some((s) => s.name === "pgbackrest")]).toEqual([server.name, postgres]);
    }
  });

  it("give the repository's secrets to the database servers' env file only, and to no other file", () => {
    for (const server of plan.servers) {
      const env = renderEnvFile(plan, server, secrets);
      const postgres = server.services.some((s) => s.name === "pgbackrest");
      expect([server.name, env.includes("PGBACKREST_REPO1_CIPHER_PASS='cipher-pass-6'")]).toEqual([
        server.name,
        postgres,
      ]);
      const files = Object.values(renderServerFiles(plan, server)).join("\n");
      for (const value of [secrets.backupAccessKey, secrets.backupSecretKey, secrets.backupPassphrase])
        expect(files).not.toContain(value);
    }
  });

  it("ship scripts that are valid bash", () => {
    for (const server of plan.servers.filter((s) => s.services.some((x) => x.name === "pgbackrest"))) {
      const files = renderServerFiles(plan, server);
      const scripts = Object.fromEntries(Object.entries(files).filter(([p]) => p.startsWith("config/pgbackrest/bin/")));
      expect(Object.keys(scripts).sort()).toEqual(
        ["orion-archive-get", "orion-backup", "orion-guard", "orion-restore"].map((n) => `config/pgbackrest/bin/${n}`),
      );
      const dir = writeTree(scripts);
      for (const path of Object.keys(scripts))
        expect([path, run("bash", ["-n", `${dir}/${path}`])]).toEqual([path, { status: 0, output: "" }]);
    }
    const primary = plan.servers.find((s) => s.name === plan.backup.primary)!;
    const dir = writeTree({ "restore.sh": renderRestoreCommand(plan, primary) });
    expect(run("bash", ["-n", `${dir}/restore.sh`])).toEqual({ status: 0, output: "" });
  });
});

describe("the database image", () => {
  it("installs the pgBackRest version the restore drill runs on this machine", () => {
    const installed = spawnSync("dpkg-query", ["-W", "-f=${Version}", "pgbackrest"], { encoding: "utf8" }).stdout;
    expect(installed).toBe(PGBACKREST_DEBIAN_VERSION);
    const files = renderServerFiles(planFor("launch"), planFor("launch").servers[0]);
    expect(files["build/postgres/Dockerfile"]).toContain(`pgbackrest=${PGBACKREST_DEBIAN_VERSION}`);
  });
});

describe("npm run restore", () => {
  it("prints the script it would run on the database server, with the arguments quoted for the remote shell", () => {
    const { status, stdout } = runCli("restore.ts", ["--stack", "prod", "--to", "2026-11-28 10:15:00+00", "--print"]);
    expect(status).toBe(0);
    expect(stdout.split("\n")[0]).toBe("# on app: bash -s -- '--to' '2026-11-28 10:15:00+00'");
    expect(stdout).toContain("refusing: PostgreSQL is running (service db of the compose project orion on app)");
  });
});
