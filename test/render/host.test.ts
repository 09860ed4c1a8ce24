import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { renderCloudInit } from "../../model/render/cloud-init";
import { MOUNT_HELPER, renderDeployScript, renderReleasePgdataScript } from "../../model/render/deploy-script";
import { renderEnvFile, renderServerFiles } from "../../model/render/server-files";
import { errorOf, planFor } from "../helpers";
import { run, writeTree } from "./tools";

describe("cloud-init user-data", () => {
  const userData = renderCloudInit();

  it("passes `cloud-init schema`", () => {
    const dir = writeTree({ "user-data.yaml": userData });
    const { status, output } = run("cloud-init", ["schema", "--config-file", `${dir}/user-data.yaml`]);
    expect({ status, output: output.trim() }).toEqual({ status: 0, output: expect.stringContaining("Valid") });
  });

  it("installs Docker with the compose plugin, fail2ban and unattended-upgrades, and a non-root deploy user", () => {
    const config = parse(userData.replace(/^#cloud-config\n/, ""));
    expect(config.packages).toEqual(
      expect.arrayContaining(["docker.io", "docker-compose-v2", "fail2ban", "unattended-upgrades"]),
    );
    expect(config.users).toEqual([expect.objectContaining({ name: "deploy", lock_passwd: true, groups: ["docker"] })]);
  });

  it("carries no key, stage or secret, so it never has to change", () => {
    expect(userData).not.toMatch(/ssh-(ed25519|rsa) |launch|growth|scale|enterprise|secret|DB_PASSWORD/i);
  });

  it("ships a volume helper that is valid shell", () => {
    const helper = parse(userData.replace(/^#cloud-config\n/, "")).write_files.find(
      (f: { path: string }) => f.path === MOUNT_HELPER,
    ).content;
    const dir = writeTree({ "helper.sh": helper });
    expect(run("sh", ["-n", `${dir}/helper.sh`])).toEqual({ status: 0, output: "" });
  });
});

describe("the deploy script", () => {
  const planned = planFor("scale");
  const db = planned.servers.find((s) => s.name === "db")!;
  const script = renderDeployScript(renderServerFiles(planned, db), {
    mountsPgdata: true,
    sshPublicKeys: ["ssh-ed25519 AAAA key"],
  });

  it("is valid shell that writes the env file with mode 600 from stdin and runs compose with --wait", () => {
    const dir = writeTree({ "deploy.sh": script, "release.sh": renderReleasePgdataScript() });
    expect(run("bash", ["-n", `${dir}/deploy.sh`])).toEqual({ status: 0, output: "" });
    expect(run("bash", ["-n", `${dir}/release.sh`])).toEqual({ status: 0, output: "" });
    expect(script).toContain("install -m 600 /dev/stdin .env");
    expect(script).toContain(`sudo ${MOUNT_HELPER} mount /mnt/pgdata`);
    expect(script.trim().split("\n").pop()).toBe(
      "docker compose -p orion --profile full up -d --wait --remove-orphans",
    );
  });

  it("writes every rendered file and stays far below the 128 KiB limit of one shell argument", () => {
    for (const path of Object.keys(renderServerFiles(planned, db)))
      expect(script).toContain(`cat > '${path}' <<'ORION_FILE_EOF'`);
    const biggest = planFor("enterprise").servers.map(
      (s) =>
        renderDeployScript(renderServerFiles(planFor("enterprise"), s), { mountsPgdata: true, sshPublicKeys: [] })
          .length,
    );
    expect(Math.max(...biggest)).toBeLessThan(64 * 1024);
  });
});

describe("the env file", () => {
  const planned = planFor("scale");
  const app = planned.servers.find((s) => s.name === "app")!;
  const secrets = {
    dbPassword: "s3cret-db",
    flowerPassword: "s3cret-flower",
    grafanaPassword: "s3cret-grafana",
    backupAccessKey: "s3cret-key",
    backupSecretKey: "s3cret-secret",
    backupPassphrase: "s3cret-passphrase",
  };

  it("points the app through PgBouncer on the db server, and migrations straight at PostgreSQL", () => {
    const env = renderEnvFile(planned, app, secrets);
    expect(env).toContain("DATABASE_URL='postgresql://orion:s3cret-db@10.0.1.20:6432/orion'");
    expect(env).toContain("DATABASE_URL_DIRECT='postgresql://orion:s3cret-db@10.0.1.20:5432/orion'");
  });

  it("refuses a password that would break the env file or a URL", () => {
    expect(errorOf(() => renderEnvFile(planned, app, { ...secrets, dbPassword: "p@ss:word" }))).toMatch(
      /orion:dbPassword contains one of @ : \/ \? #/,
    );
  });
});

describe("a webhook receiver", () => {
  const planned = planFor("launch");
  const app = planned.servers[0];
  const files = renderServerFiles(planned, app, {}, { webhook: true });
  const script = renderDeployScript(files, { mountsPgdata: false, sshPublicKeys: [] });

  it("ships the Alertmanager config as a template and fills in the URL from the env file on the server", () => {
    expect(Object.keys(files)).toContain("config/alertmanager/alertmanager.yml.tmpl");
    const line = script.split("\n").find((l) => l.includes("envsubst"))!;
    const url = "https://hooks.example.com/services/T0/B0/s3cr&t?x=1";
    const dir = writeTree({
      ".env": `ALERT_WEBHOOK_URL='${url}'\nDB_PASSWORD='unused'\n`,
      "config/alertmanager/alertmanager.yml.tmpl": files["config/alertmanager/alertmanager.yml.tmpl"],
    });
    expect(run("bash", ["-c", `set -eu; cd ${dir}; ${line}`])).toEqual({ status: 0, output: "" });
    const rendered = parse(readFileSync(`${dir}/config/alertmanager/alertmanager.yml`, "utf8"));
    expect(rendered.receivers[0].webhook_configs[0].url).toBe(url);
  });
});
