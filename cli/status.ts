import Table from "cli-table3";
import { Command } from "commander";
import { COMPOSE_PROJECT } from "../model/render/compose";
import { DEPLOY_DIR } from "../model/render/server-files";
import { RELEASE_HISTORY } from "../model/render/release-script";
import { openStack, remote } from "./stack";
import { runCommand } from "./run-command";

/**
 * What runs where: every container of the compose project on every server,
 * with its image, the image's digest (the registry's, or the local image ID
 * where it came from no registry), its state and health, and each server's
 * last releases.
 */
const program = new Command("npm run status --")
  .description(
    "Show what runs where in a deployed stack: containers, images with digests, health, and the last releases.",
  )
  .requiredOption("--stack <name>", "the Pulumi stack (reads its config and outputs as `pulumi up` does)")
  .option("--history <n>", "releases to show per server", "3")
  .option("--json", "print the status as JSON")
  .showHelpAfterError();

export interface ContainerStatus {
  server: string;
  service: string;
  container: string;
  image: string;
  digest: string;
  state: string;
  health: string;
  startedAt: string;
}

/** Runs on each server: one JSON object per container, then the release history's last lines. */
function statusScript(history: number): string {
  const format = [
    '{"container":{{json .Name}}',
    '"service":{{json (index .Config.Labels "com.docker.compose.service")}}',
    '"oneoff":{{json (index .Config.Labels "com.docker.compose.oneoff")}}',
    '"image":{{json .Config.Image}}',
    '"imageId":{{json .Image}}',
    '"state":{{json .State.Status}}',
    '"health":{{if .State.Health}}{{json .State.Health.Status}}{{else}}""{{end}}',
    '"startedAt":{{json .State.StartedAt}}}',
  ].join(",");
  return [
    "set -eu",
    `ids=$(docker ps -aq --filter label=com.docker.compose.project=${COMPOSE_PROJECT})`,
    `if [ -n "$ids" ]; then docker inspect --format '${format}' $ids; fi`,
    "echo '--- digests'",
    `if [ -n "$ids" ]; then docker inspect --format '{{.Image}}' $ids | sort -u | while read -r id; do printf '%s %s\\n' "$id" "$(docker image inspect --format '{{join .RepoDigests ","}}' "$id")"; done; fi`,
    "echo '--- history'",
    `tail -n ${history} ${DEPLOY_DIR}/${RELEASE_HISTORY} 2>/dev/null || true`,
  ].join("\n");
}

export function parseStatus(
  server: string,
  stdout: string,
): { containers: ContainerStatus[]; history: Record<string, unknown>[] } {
  const [containerPart, rest = ""] = stdout.split("--- digests\n");
  const [digestPart, historyPart = ""] = rest.split("--- history\n");
  const digests = new Map(
    digestPart
      .split("\n")
      .filter(Boolean)
      .map((l) => [l.split(" ")[0], l.split(" ")[1] ?? ""]),
  );
  const containers = containerPart
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map(
      (l) =>
        JSON.parse(l) as {
          container: string;
          service: string;
          oneoff: string;
          image: string;
          imageId: string;
          state: string;
          health: string;
          startedAt: string;
        },
    )
    .map((c) => ({
      server,
      service: c.oneoff === "True" ? `${c.service} (one-off)` : c.service,
      container: c.container.replace(/^\//, ""),
      image: c.image,
      digest: digests.get(c.imageId) || c.imageId,
      state: c.state,
      health: c.health,
      startedAt: c.startedAt,
    }))
    .sort((a, b) => a.service.localeCompare(b.service) || a.container.localeCompare(b.container));
  const history = historyPart
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { containers, history };
}

async function main(): Promise<number> {
  program.parse();
  const options = program.opts<{ stack: string; history: string; json?: boolean }>();
  const stack = openStack(options.stack);
  try {
    const results = await Promise.all(
      stack.plan.servers.map((s) => remote(stack, s.name, statusScript(Number(options.history)))),
    );
    const failed = results.filter((r) => r.code !== 0);
    const statuses = results
      .filter((r) => r.code === 0)
      .map((r) => ({ server: r.server, ...parseStatus(r.server, r.stdout) }));
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ stack: stack.stack, servers: statuses, unreachable: failed.map((f) => ({ server: f.server, error: f.stderr.trim() })) }, null, 2)}\n`,
      );
    } else {
      for (const s of statuses) {
        const table = new Table({ head: ["service", "container", "image", "digest", "state", "health", "started"] });
        for (const c of s.containers)
          table.push([
            c.service,
            c.container,
            c.image,
            c.digest.length > 30 ? `${c.digest.slice(0, 30)}…` : c.digest,
            c.state,
            c.health || "-",
            c.startedAt.slice(0, 19),
          ]);
        process.stdout.write(`\n${s.server} (${stack.addresses[s.server]})\n${table.toString()}\n`);
        for (const h of s.history)
          process.stdout.write(
            `  released ${String(h.image)} at ${String(h.time)} by ${String(h.by)}${h.ms !== undefined ? ` in ${(Number(h.ms) / 1000).toFixed(1)} s` : ""}\n`,
          );
      }
      for (const f of failed)
        process.stderr.write(`${f.server}: unreachable over SSH (exit ${f.code}): ${f.stderr.trim()}\n`);
    }
    const unhealthy = statuses
      .flatMap((s) => s.containers)
      .filter(
        (c) =>
          !c.service.endsWith("(one-off)") && (c.state !== "running" || (c.health !== "" && c.health !== "healthy")),
      );
    return failed.length > 0 ? 3 : unhealthy.length > 0 ? 1 : 0;
  } finally {
    stack.close();
  }
}

if (require.main === module) runCommand(main);
