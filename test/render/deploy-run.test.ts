import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, openSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEPLOY_DIR } from "../../model/render/server-files";
import {
  MOUNT_HELPER,
  renderDeployScript,
  renderPullScript,
  renderReleasePgdataScript,
  type DeployScriptOptions,
} from "../../model/render/deploy-script";
import { renderEnvFile, renderServerFiles } from "../../model/render/server-files";
import { planFor } from "../helpers";
import { run } from "./tools";

/**
 * The deploy, release and pull scripts run by bash as `pulumi up` runs them,
 * against a `docker` and a `sudo` that log every call and fail on a chosen
 * one. `docker compose config` goes to the real Docker CLI (it needs no
 * daemon), so the staged compose file and env file are really checked.
 */
/** The real tools, found on PATH as a shell finds them; a missing one fails the test (.ci/run installs them). */
function which(tool: string): string {
  const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
  if (!found) throw new Error(`${tool} is not installed; .ci/run installs it (see README, Tests)`);
  return found;
}
const REAL_DOCKER = which("docker");
const REAL_ENVSUBST = which("envsubst");

function fakeTools(): string {
  const bin = mkdtempSync(join(tmpdir(), "orion-fake-bin-"));
  // FAIL_ON: a pattern; the call whose arguments match it fails, as a broken step would.
  const wrapper = (name: string, real?: string) => `#!/bin/bash
echo "${name} $*" >> "$CALL_LOG"
if [ -n "\${FAIL_ON:-}" ] && [[ "${name} $*" == *$FAIL_ON* ]]; then echo "${name}: failing as told" >&2; exit 1; fi
${real ? `exec ${real} "$@"` : "exit 0"}
`;
  writeFileSync(join(bin, "sudo"), wrapper("sudo"));
  writeFileSync(join(bin, "envsubst"), wrapper("envsubst", REAL_ENVSUBST));
  writeFileSync(
    join(bin, "docker"),
    `#!/bin/bash
echo "docker $*" >> "$CALL_LOG"
if [ -n "\${FAIL_ON:-}" ] && [[ "docker $*" == *$FAIL_ON* ]]; then echo "docker: failing as told" >&2; exit 1; fi
# Reading a compose file needs no daemon: the real CLI checks it. Everything else only logs.
case " $* " in *" config "*) exec ${REAL_DOCKER} "$@";; esac
if [ "$1" = "login" ]; then cat > /dev/null; fi
# The engine of the servers (Ubuntu 24.04's docker.io 27, API 1.47): the compose file runs with its start_interval.
if [ "$1" = "version" ]; then echo 1.47; fi
exit 0
`,
  );
  for (const name of ["sudo", "envsubst", "docker"]) chmodSync(join(bin, name), 0o755);
  return bin;
}

interface Host {
  dir: string;
  home: string;
  bin: string;
  log: string;
}

function newHost(): Host {
  const dir = mkdtempSync(join(tmpdir(), "orion-deploy-dir-"));
  const home = mkdtempSync(join(tmpdir(), "orion-deploy-home-"));
  return { dir, home, bin: fakeTools(), log: join(dir, "..", `${dir.split("/").pop()}.calls`) };
}

/** Runs a script the way the deploy command does (bash, env file on stdin), in the host's directory instead of /opt/orion. */
function runScript(
  host: Host,
  script: string,
  stdin: string,
  failOn?: string,
): { status: number; output: string; calls: string[] } {
  expect(script).toContain(`cd ${DEPLOY_DIR}\n`);
  const moved = script.split(`cd ${DEPLOY_DIR}\n`).join(`cd ${host.dir}\n`);
  writeFileSync(host.log, "");
  // From a file, as SSH hands it over: install reads /dev/stdin, which node's own stdin socket cannot be opened as.
  const stdinFile = join(host.home, "stdin");
  writeFileSync(stdinFile, stdin);
  const fd = openSync(stdinFile, "r");
  const result = spawnSync("bash", ["-c", moved], {
    stdio: [fd, "pipe", "pipe"],
    encoding: "utf8",
    env: {
      PATH: `${host.bin}:/usr/bin:/bin`,
      HOME: host.home,
      CALL_LOG: host.log,
      ...(failOn ? { FAIL_ON: failOn } : {}),
    },
  });
  closeSync(fd);
  return {
    status: result.status ?? -1,
    output: `${result.stdout}${result.stderr}`,
    calls: readFileSync(host.log, "utf8").split("\n").filter(Boolean),
  };
}

const planned = planFor("launch");
const app = planned.servers[0];
const secrets = {
  dbPassword: "first-db-password",
  flowerPassword: "f",
  grafanaPassword: "g",
  alertWebhookUrl: "https://hooks.example.com/first",
  registryUsername: "ci",
  registryPassword: "r",
};
const options: DeployScriptOptions = {
  mountsPgdata: true,
  registryHost: "registry.example.com",
  sshPublicKeys: ["ssh-ed25519 AAAA first"],
  secretFiles: [{ file: "config/alertmanager/smtp_password", env: "SMTP_PASSWORD" }],
  afterUp: ["docker compose -p orion exec -T caddy caddy reload"],
};
const firstFiles = renderServerFiles(planned, app, {}, { webhook: true });
const first = { script: renderDeployScript(firstFiles, options), env: renderEnvFile(planned, app, secrets) };
// The next deploy changes a config file and a secret.
const nextFiles = {
  ...firstFiles,
  "config/prometheus/prometheus.yml": `${firstFiles["config/prometheus/prometheus.yml"]}# changed\n`,
};
const next = {
  script: renderDeployScript(nextFiles, { ...options, sshPublicKeys: ["ssh-ed25519 AAAA next"] }),
  env: renderEnvFile(planned, app, {
    ...secrets,
    dbPassword: "next-db-password",
    alertWebhookUrl: "https://hooks.example.com/next",
  }),
};

const live = (host: Host) =>
  Object.fromEntries(
    [".env", "compose.yaml", "config/prometheus/prometheus.yml", "config/alertmanager/alertmanager.yml"].map((f) => [
      f,
      readFileSync(join(host.dir, f), "utf8"),
    ]),
  );
const index = (calls: string[], pattern: string) => calls.findIndex((c) => c.includes(pattern));

describe("the deploy script, run by bash against a fake docker and sudo", () => {
  it("writes, checks, mounts and logs in before it moves any file into place and runs compose, then reloads Caddy", () => {
    const host = newHost();
    const { status, output, calls } = runScript(host, first.script, first.env);
    expect({ status, output }).toEqual({ status: 0, output: "" });
    const order = [
      "envsubst",
      "compose -p orion --profile full config --quiet",
      `sudo ${MOUNT_HELPER} mount /mnt/pgdata`,
      "docker login",
      "up -d --wait --remove-orphans",
      "caddy reload",
    ].map((p) => index(calls, p));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(readFileSync(join(host.dir, ".env"), "utf8")).toBe(first.env);
    expect(readFileSync(join(host.dir, "config/alertmanager/alertmanager.yml"), "utf8")).toContain(
      "https://hooks.example.com/first",
    );
    expect(readFileSync(join(host.home, ".ssh/authorized_keys"), "utf8")).toBe("ssh-ed25519 AAAA first\n");
    expect(existsSync(join(host.dir, ".staging"))).toBe(false);
  });

  it.each([
    ["a template that envsubst cannot fill in", "envsubst"],
    ["a compose file or env file that `docker compose config` rejects", "config --quiet"],
    ["a pgdata volume that does not mount", `sudo ${MOUNT_HELPER} mount`],
    ["a registry login that fails", "docker login"],
  ])("stops at %s: nothing after it runs and the previous stack and files stay as they were", (_, failOn) => {
    const host = newHost();
    expect(runScript(host, first.script, first.env).status).toBe(0);
    const before = live(host);
    const { status, calls } = runScript(host, next.script, next.env, failOn);
    expect(status).not.toBe(0);
    const failed = index(calls, failOn);
    expect(failed).toBeGreaterThanOrEqual(0);
    // The failing call is the last one: no compose up, stop, restart or reload after it.
    expect(calls.slice(failed + 1)).toEqual([]);
    expect(live(host)).toEqual(before);
    expect(readFileSync(join(host.home, ".ssh/authorized_keys"), "utf8")).toBe("ssh-ed25519 AAAA first\n");
  });

  it("a deploy that gets through moves the new files and secrets into place", () => {
    const host = newHost();
    expect(runScript(host, first.script, first.env).status).toBe(0);
    expect(runScript(host, next.script, next.env).status).toBe(0);
    expect(live(host)).toMatchObject({
      ".env": next.env,
      "config/prometheus/prometheus.yml": nextFiles["config/prometheus/prometheus.yml"],
    });
    expect(live(host)["config/alertmanager/alertmanager.yml"]).toContain("https://hooks.example.com/next");
  });
});

describe("the release script (growth -> scale, on the app server)", () => {
  it("never unmounts the volume when stopping the old database fails", () => {
    const host = newHost();
    const { status, calls } = runScript(host, `cd ${DEPLOY_DIR}\n${renderReleasePgdataScript()}`, "", "docker stop");
    expect(status).not.toBe(0);
    expect(calls).toEqual(["docker inspect orion-db-1", "docker stop --time 60 orion-db-1"]);
  });

  it("stops and removes the database, then releases the volume", () => {
    const host = newHost();
    const { status, calls } = runScript(host, `cd ${DEPLOY_DIR}\n${renderReleasePgdataScript()}`, "");
    expect(status).toBe(0);
    expect(calls).toEqual([
      "docker inspect orion-db-1",
      "docker stop --time 60 orion-db-1",
      "docker rm orion-db-1",
      `sudo ${MOUNT_HELPER} release /mnt/pgdata`,
    ]);
  });
});

describe("the pull script", () => {
  it("fails when one image does not pull, once every pull (they run at once) has ended", () => {
    const host = newHost();
    const { status, calls } = runScript(
      host,
      `cd ${DEPLOY_DIR}\n${renderPullScript(["b/image:1", "a/image:1", "c/image:1"])}`,
      "",
      "a/image",
    );
    expect(status).not.toBe(0);
    expect([...calls].sort()).toEqual([
      "docker pull --quiet a/image:1",
      "docker pull --quiet b/image:1",
      "docker pull --quiet c/image:1",
    ]);
  });

  it("is valid bash", () => {
    const dir = mkdtempSync(join(tmpdir(), "orion-pull-"));
    writeFileSync(join(dir, "pull.sh"), renderPullScript(["a/image:1"]));
    expect(run("bash", ["-n", join(dir, "pull.sh")])).toEqual({ status: 0, output: "" });
  });
});
