import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { stripVTControlCharacters } from "node:util";
import { Command } from "commander";
import { COMPOSE_PROJECT } from "../model/render/compose";
import { DEPLOY_DIR } from "../model/render/server-files";
import { openStack, quote, remote, serversRunning, sshArgs } from "./stack";
import { runCommand } from "./run-command";

/**
 * A service's logs from every server that runs it, one stream: each line
 * prefixed with its server, ordered by Docker's timestamps (or interleaved
 * as they come with --follow).
 */
const program = new Command("npm run logs --")
  .description(
    "Show a service's logs across the servers that run it, e.g. npm run logs -- --stack prod api --since 10m",
  )
  .requiredOption("--stack <name>", "the Pulumi stack (reads its config and outputs as `pulumi up` does)")
  .argument("<service>", "compose service: api, celery-worker, celery-beat, db, caddy, ...")
  .option("--since <time>", "only lines since then: 10m, 2h, or an RFC 3339 time")
  .option("--tail <n>", "last lines per container", "200")
  .option("-f, --follow", "keep streaming")
  .showHelpAfterError();

function logsCommand(service: string, options: { since?: string; tail: string; follow?: boolean }): string {
  const args = [
    "--no-color",
    "--timestamps",
    "--tail",
    options.tail,
    ...(options.since ? ["--since", options.since] : []),
    ...(options.follow ? ["--follow"] : []),
    service,
  ];
  return `cd ${DEPLOY_DIR} && docker compose -p ${COMPOSE_PROJECT} --profile full logs ${args.map(quote).join(" ")}`;
}

/** `api-1  | 2026-11-28T10:00:00.000000000Z text` -> its timestamp and the line with the server in front. */
export function prefixed(server: string, raw: string): { at: string; text: string } {
  // Compose writes terminal control sequences (erase line, ESC [2K) before its prefixes even with --no-color and no terminal.
  const line = stripVTControlCharacters(raw);
  const m = /^(\S+)\s+\|\s(\S+)\s?(.*)$/.exec(line);
  return m ? { at: m[2], text: `${server}/${m[1]} ${m[2]} ${m[3]}` } : { at: "", text: `${server} ${line}` };
}

async function main(): Promise<number> {
  program.parse();
  const service = program.args[0];
  const options = program.opts<{ stack: string; since?: string; tail: string; follow?: boolean }>();
  const stack = openStack(options.stack);
  try {
    const servers = serversRunning(stack.plan, service);
    if (servers.length === 0)
      throw new Error(`no server of stack ${options.stack} (stage ${stack.plan.stage}) runs ${service}`);
    const command = logsCommand(service, options);
    if (options.follow) {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              const child = spawn("ssh", sshArgs(stack, server, command), { stdio: ["ignore", "pipe", "inherit"] });
              createInterface({ input: child.stdout }).on("line", (line) =>
                process.stdout.write(`${prefixed(server, line).text}\n`),
              );
              child.on("close", () => resolve());
            }),
        ),
      );
      return 0;
    }
    const results = await Promise.all(servers.map((server) => remote(stack, server, command)));
    const lines = results.flatMap((r) =>
      r.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => prefixed(r.server, l)),
    );
    for (const l of lines.sort((a, b) => a.at.localeCompare(b.at))) process.stdout.write(`${l.text}\n`);
    for (const r of results.filter((x) => x.code !== 0))
      process.stderr.write(`${r.server}: exit ${r.code}: ${r.stderr.trim()}\n`);
    return results.some((r) => r.code !== 0) ? 3 : 0;
  } finally {
    stack.close();
  }
}

if (require.main === module) runCommand(main);
