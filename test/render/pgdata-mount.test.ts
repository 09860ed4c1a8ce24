import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGDATA_IN_CONTAINER } from "../../model/render/pgdata-check";
import { envFileKeys } from "../../model/render/server-deployment";
import { renderServerFiles } from "../../model/render/server-files";
import { planFor } from "../helpers";
import { run, writeTree } from "./tools";

/**
 * The db containers' start command, as `docker compose config` resolves it,
 * run by bash in a mount namespace this test creates (`unshare --mount`):
 * the host's /mnt/pgdata is either a mounted filesystem (a tmpfs standing in
 * for the Hetzner volume) or a plain directory of the root disk, and it is
 * bind-mounted where the container sees it, as Docker does. The image's
 * entrypoint is a stand-in that records that it ran (it is what would
 * initdb an empty directory).
 */
function startCommand(stage: "launch" | "enterprise", serverName: string, service: "db" | "db-replica"): string {
  const plan = planFor(stage);
  const server = plan.servers.find((s) => s.name === serverName)!;
  // Every variable the env file of this server carries, so compose warns of none on stderr.
  const env = envFileKeys(plan, server, {})
    .map((k) => `${k}=x`)
    .join("\n");
  const dir = writeTree({ ...renderServerFiles(plan, server), ".env": `${env}\n` });
  const { status, output } = run(
    "docker",
    ["compose", "-p", "orion", "--profile", "full", "config", "--format", "json"],
    { cwd: dir },
  );
  expect({ status, error: status === 0 ? "" : output }).toEqual({ status: 0, error: "" });
  const command: string[] = JSON.parse(output).services[service].command;
  expect(command.slice(0, 2)).toEqual(["bash", "-c"]);
  // `config` prints the file as compose reads it, with `$$` still escaped; the container gets `$`.
  return command[2].replace(/\$\$/g, "$");
}

function runInNamespace(
  script: string,
  volumeMounted: boolean,
): { status: number; output: string; started: boolean; dataFiles: string[] } {
  const root = mkdtempSync(join(tmpdir(), "orion-pgdata-"));
  const hostPath = join(root, "mnt", "pgdata");
  const containerPath = join(root, "container", "data");
  const bin = join(root, "bin");
  for (const d of [hostPath, containerPath, bin]) mkdirSync(d, { recursive: true });
  // Stand-ins for the image's entrypoint and the replica's first copy: each leaves a file where PostgreSQL would write.
  writeFileSync(
    join(bin, "docker-entrypoint.sh"),
    `#!/bin/sh\necho initdb > "${containerPath}/PG_VERSION"\necho started\n`,
  );
  writeFileSync(join(bin, "gosu"), `#!/bin/sh\nshift; mkdir -p "$PGDATA"; echo copied > "$PGDATA/PG_VERSION"\n`);
  for (const f of ["docker-entrypoint.sh", "gosu"]) chmodSync(join(bin, f), 0o755);
  // Only the path moves: the container's data directory is this test's bind-mount target.
  const moved = script.split(PGDATA_IN_CONTAINER).join(containerPath);
  const setup = [
    "set -e",
    ...(volumeMounted ? [`mount -t tmpfs -o size=8m orion-pgdata-volume ${hostPath}`] : []),
    `mount --bind ${hostPath} ${containerPath}`,
    `export PATH=${bin}:$PATH PGDATA=${containerPath}/pgdata`,
    `exec bash -c "$1"`,
  ].join("\n");
  const result = spawnSync("unshare", ["--mount", "--propagation", "private", "bash", "-c", setup, "setup", moved], {
    encoding: "utf8",
    timeout: 30_000,
  });
  if (result.error) throw new Error(`unshare failed to start: ${result.error.message}; it needs root and util-linux`);
  const output = `${result.stdout}${result.stderr}`;
  // The namespace is gone: whatever was written on the root disk stayed in the host's directory.
  return { status: result.status ?? -1, output, started: output.includes("started"), dataFiles: readdirSync(hostPath) };
}

describe.each([
  ["the launch db", "launch", "app", "db"],
  ["the enterprise read replica", "enterprise", "db-replica-1", "db-replica"],
] as const)("%s container's start command", (_, stage, server, service) => {
  const script = startCommand(stage, server, service);

  it("refuses to start when the pgdata volume is not mounted, says why, and writes nothing on the server's disk", () => {
    const result = runInNamespace(script, false);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(
      /FATAL: \/mnt\/pgdata on the host is not the mounted pgdata volume.*sudo \/usr\/local\/sbin\/orion-mount-volume mount \/mnt\/pgdata/,
    );
    expect(result.dataFiles).toEqual([]);
  });

  it("starts PostgreSQL when the volume is mounted", () => {
    const result = runInNamespace(script, true);
    expect({
      status: result.status,
      started: result.started,
      output: result.status === 0 ? "" : result.output,
    }).toEqual({ status: 0, started: true, output: "" });
  });
});
