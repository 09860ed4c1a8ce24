import { spawn } from "node:child_process";
import { Command } from "commander";
import { COMPOSE_PROJECT } from "../model/render/compose";
import { DEPLOY_DIR } from "../model/render/server-files";
import { openStack, quote, sshArgs } from "./stack";
import { runCommand } from "./run-command";

/**
 * A one-off command in the app image, on the app server, with the app's
 * environment (database URLs, broker, orion:appEnv and orion:appSecrets): a
 * new container of the api service (`docker compose run`), with the API's
 * memory limit. Where the server's headroom cannot hold a second API
 * container (launch: 10 MB), it runs inside the running API container
 * instead (`docker exec`), within that container's limit, and says so.
 */
const program = new Command("npm run exec --")
  .description("Run a one-off command in the app image, e.g. npm run exec -- --stack prod -- alembic current")
  .requiredOption("--stack <name>", "the Pulumi stack (reads its config and outputs as `pulumi up` does)")
  .option("--server <name>", "the server to run on", "app")
  .option("--reuse", "run inside the running API container instead of a new one")
  .option("-i, --interactive", "attach a terminal (a shell, a Python prompt)")
  .argument("<command...>", "the command and its arguments")
  .showHelpAfterError();

export function execScript(command: string[], mode: "run" | "exec", interactive: boolean): string {
  const words = command.map(quote).join(" ");
  const tty = interactive ? "" : " -T";
  if (mode === "run")
    return `cd ${DEPLOY_DIR} && docker compose -p ${COMPOSE_PROJECT} run --rm --no-deps${tty} api ${words}`;
  return `cd ${DEPLOY_DIR} && docker compose -p ${COMPOSE_PROJECT} exec${tty} api ${words}`;
}

async function main(): Promise<number> {
  program.parse();
  const command = program.args;
  const options = program.opts<{ stack: string; server: string; reuse?: boolean; interactive?: boolean }>();
  const stack = openStack(options.stack);
  try {
    const server = stack.plan.servers.find((s) => s.name === options.server);
    const api = server?.services.find((s) => s.name === "api");
    if (!server || !api)
      throw new Error(
        `--server ${options.server} runs no API container in stage ${stack.plan.stage}; use one of ${stack.plan.servers
          .filter((s) => s.services.some((x) => x.name === "api"))
          .map((s) => s.name)
          .join(", ")}`,
      );
    let mode: "run" | "exec" = options.reuse ? "exec" : "run";
    if (mode === "run" && server.headroomMb < api.memoryLimitMb) {
      process.stderr.write(
        `${server.name} keeps ${server.headroomMb} MB of headroom, less than a second API container's ${api.memoryLimitMb} MB: running inside the API container instead\n`,
      );
      mode = "exec";
    }
    const child = spawn(
      "ssh",
      sshArgs(stack, server.name, execScript(command, mode, options.interactive ?? false), options.interactive),
      { stdio: "inherit" },
    );
    return await new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  } finally {
    stack.close();
  }
}

if (require.main === module) runCommand(main);
