import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCloudInitWaitScript, renderStopForRescaleScript } from "../../model/render/host-steps";

/**
 * The scripts run by bash as on a server: in a private mount namespace whose
 * /opt and /home are temporary directories, with stand-ins for `docker` and
 * `cloud-init` on PATH that record what they were asked. Everything else
 * (timeout, grep, sync) is the real tool.
 */
function runOnFakeServer(
  script: string,
  setup: { composeServices?: string[]; cloudInit?: string; deployKeys?: boolean; composePlugin?: boolean },
) {
  const root = mkdtempSync(join(tmpdir(), "orion-host-"));
  const bin = join(root, "bin");
  mkdirSync(bin);
  mkdirSync(join(root, "opt", "orion"), { recursive: true });
  mkdirSync(join(root, "home", "deploy", ".ssh"), { recursive: true });
  if (setup.deployKeys !== false)
    writeFileSync(join(root, "home", "deploy", ".ssh", "authorized_keys"), "ssh-ed25519 AAAA test\n");
  if (setup.composeServices) writeFileSync(join(root, "opt", "orion", "compose.yaml"), "services: {}\n");
  const log = join(root, "calls.log");
  const services = (setup.composeServices ?? []).join("\\n");
  // Without the compose plugin, Docker answers every `docker compose` as an unknown command.
  const compose =
    setup.composePlugin === false
      ? `  compose*) echo "docker: 'compose' is not a docker command." >&2; exit 1;;`
      : `  *"config --services"*) printf '${services}\\n';;\n  "compose version") echo "Docker Compose version v2.26.1";;`;
  writeFileSync(join(bin, "docker"), `#!/bin/sh\necho "docker $*" >> ${log}\ncase "$*" in\n${compose}\nesac\nexit 0\n`);
  chmodSync(join(bin, "docker"), 0o755);
  if (setup.cloudInit) {
    writeFileSync(join(bin, "cloud-init"), `#!/bin/sh\necho "cloud-init $*" >> ${log}\n${setup.cloudInit}\n`);
    chmodSync(join(bin, "cloud-init"), 0o755);
  }
  writeFileSync(join(root, "script.sh"), script);
  const inner = `mount --bind ${root}/opt /opt && mount --bind ${root}/home /home && PATH=${bin}:/usr/bin:/bin exec bash ${root}/script.sh`;
  const result = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", inner], {
    encoding: "utf8",
    timeout: 60_000,
  });
  let calls = "";
  try {
    calls = readFileSync(log, "utf8");
  } catch {
    calls = "";
  }
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    calls: calls.trim().split("\n").filter(Boolean),
  };
}

describe("the stop before a rescale, run by bash", () => {
  it("stops the growth app server's project in the order that loses no work, then syncs", () => {
    const growthApp = [
      "alertmanager",
      "api",
      "cadvisor",
      "celery-beat",
      "celery-worker",
      "db",
      "flower",
      "grafana",
      "node-exporter",
      "pgbouncer",
      "postgres-exporter",
      "prometheus",
      "redis",
      "redis-exporter",
    ];
    const run = runOnFakeServer(renderStopForRescaleScript("app", "cax21", "cax31"), { composeServices: growthApp });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const stops = run.calls.filter((c) => c.includes(" stop"));
    expect(stops).toEqual([
      "docker compose -p orion --profile full stop celery-beat api flower",
      "docker compose -p orion --profile full stop celery-worker",
      "docker compose -p orion --profile full stop pgbouncer db redis",
      "docker compose -p orion --profile full stop prometheus grafana alertmanager node-exporter cadvisor postgres-exporter redis-exporter",
      "docker compose -p orion --profile full stop",
    ]);
    expect(run.stdout).toContain(
      "orion: server app: stopping the compose project before Hetzner powers the server off to change its type (cax21 -> cax31)",
    );
  });

  it("names only services the compose file on the server has, whatever the new stage runs", () => {
    const run = runOnFakeServer(renderStopForRescaleScript("db", "cax21", "cax31"), {
      composeServices: ["db", "node-exporter", "cadvisor"],
    });
    expect(run.status).toBe(0);
    expect(run.calls.filter((c) => c.includes(" stop"))).toEqual([
      "docker compose -p orion --profile full stop db",
      "docker compose -p orion --profile full stop node-exporter cadvisor",
      "docker compose -p orion --profile full stop",
    ]);
  });

  it("does nothing on a server that was never deployed", () => {
    const run = runOnFakeServer(renderStopForRescaleScript("app", "cax11", "cax21"), {});
    expect(run.status).toBe(0);
    expect(run.calls).toEqual([]);
  });
});

describe("the wait for cloud-init, run by bash", () => {
  it("passes when cloud-init is done and left the deploy user's keys, the deploy directory and Docker", () => {
    const run = runOnFakeServer(renderCloudInitWaitScript("app", 5), { cloudInit: "exit 0" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.calls[0]).toBe("cloud-init status --wait");
  });

  it("fails after its budget with a message naming the server and what it waited for", () => {
    const run = runOnFakeServer(renderCloudInitWaitScript("worker-2", 2), {
      cloudInit: 'case "$*" in *--wait*) sleep 30;; *) echo "status: running";; esac',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "orion: server worker-2: cloud-init has not finished; waited 2 s for cloud-init to provide the packages (Docker, the compose plugin",
    );
    expect(run.stderr).toContain("the deploy user with its SSH keys");
    expect(run.stderr).toContain("status: running");
  });

  it("fails when cloud-init failed, and when it finished without the deploy user's keys", () => {
    const failed = runOnFakeServer(renderCloudInitWaitScript("db", 5), {
      cloudInit: 'case "$*" in *--wait*) exit 1;; *) echo "status: error";; esac',
    });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain("orion: server db: cloud-init failed (cloud-init status exit 1)");
    const noKeys = runOnFakeServer(renderCloudInitWaitScript("db", 5), { cloudInit: "exit 0", deployKeys: false });
    expect(noKeys.status).toBe(1);
    expect(noKeys.stderr).toContain(
      "orion: server db: cloud-init finished without the deploy user's SSH keys (/home/deploy/.ssh/authorized_keys)",
    );
  });

  it("accepts cloud-init's recoverable errors with a warning", () => {
    const run = runOnFakeServer(renderCloudInitWaitScript("app", 5), {
      cloudInit: 'case "$*" in *--wait*) exit 2;; *) echo "status: done (with deprecation warnings)";; esac',
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain("orion: server app: cloud-init finished with recoverable errors:");
  });

  it("fails when Docker's compose plugin is missing after cloud-init", () => {
    const run = runOnFakeServer(renderCloudInitWaitScript("app", 5), { cloudInit: "exit 0", composePlugin: false });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("orion: server app: cloud-init finished without Docker and its compose plugin");
  });
});
