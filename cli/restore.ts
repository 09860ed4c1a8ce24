import { spawnSync } from "node:child_process";
import { Command } from "commander";
import { ConfigError, parseConfig } from "../model/config";
import { plan } from "../model/plan";
import { DEPLOY_USER } from "../model/render/deploy-script";
import { renderRestoreCommand } from "../model/render/restore-command";
import { readStackConfig } from "./stack-config";

interface RestoreOptions {
  stack: string;
  to?: string;
  set?: string;
  overwrite?: boolean;
  scratch?: boolean;
  scratchRemove?: boolean;
  host?: string;
  print?: boolean;
}

const program = new Command("npm run restore --")
  .description(
    "Restore the database from its pgBackRest backups, on the server that runs it, over SSH as `pulumi up` deploys. " +
      "Stop the app and the database first; the restore refuses a running PostgreSQL, and a data directory that holds data unless --overwrite is given.",
  )
  .requiredOption("--stack <name>", "the stack, read from Pulumi.yaml and Pulumi.<name>.yaml as `pulumi up` reads it")
  .option(
    "--to <time>",
    "restore to a point in time, e.g. '2026-11-28 10:15:00+00' (default: the latest state in the bucket)",
  )
  .option("--set <label>", "restore this backup (pgbackrest info lists them) instead of the newest one before --to")
  .option("--overwrite", "replace the data directory's contents (pgBackRest --delta) instead of refusing")
  .option("--scratch", "restore a copy beside production, on the server's 127.0.0.1:55432, with archiving off")
  .option("--scratch-remove", "stop and delete the scratch copy")
  .option("--host <address>", "the database server's address (default: from `pulumi stack output servers`)")
  .option("--print", "print the script that would run on the server, and stop")
  .showHelpAfterError();

/** One argument, safe inside the remote shell command that ssh builds from its arguments. */
const quote = (text: string) => `'${text.replace(/'/g, `'"'"'`)}'`;

function run(
  command: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): { status: number; stdout: string } {
  const result = spawnSync(command, args, {
    input: options.input,
    env: options.env ?? process.env,
    encoding: "utf8",
    stdio: [options.input === undefined ? "inherit" : "pipe", "pipe", "inherit"],
  });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  return { status: result.status ?? 1, stdout: result.stdout };
}

/** The server's public address, as the deploy uses it: the stack output `servers`. */
function serverAddress(stack: string, server: string): string {
  const output = run("pulumi", ["stack", "output", "servers", "--json", "--stack", stack]);
  if (output.status !== 0)
    throw new Error(`pulumi stack output failed for stack ${stack}; log in to its backend, or pass --host`);
  const servers = JSON.parse(output.stdout) as Record<string, { ipv4Address?: string }>;
  const address = servers[server]?.ipv4Address;
  if (!address)
    throw new Error(
      `stack ${stack} has no address for server ${server}; has it been deployed? Pass --host to give one`,
    );
  return address;
}

/**
 * The deploy's key: the secret orion:sshPrivateKey in a short-lived agent of
 * our own when the stack has it, else the caller's SSH agent, as `pulumi up` does.
 */
function withDeployKey<T>(stack: string, fn: (env: NodeJS.ProcessEnv) => T): T {
  const key = spawnSync("pulumi", ["config", "get", "orion:sshPrivateKey", "--stack", stack], { encoding: "utf8" });
  if (key.status !== 0 || key.stdout.trim() === "") return fn(process.env);
  const agent = spawnSync("ssh-agent", ["-s"], { encoding: "utf8" });
  const socket = /SSH_AUTH_SOCK=([^;]+);/.exec(agent.stdout)?.[1];
  const pid = /SSH_AGENT_PID=(\d+);/.exec(agent.stdout)?.[1];
  if (!socket || !pid) throw new Error("ssh-agent did not start");
  const env = { ...process.env, SSH_AUTH_SOCK: socket };
  try {
    if (run("ssh-add", ["-q", "-"], { input: `${key.stdout.trim()}\n`, env }).status !== 0)
      throw new Error("ssh-add refused orion:sshPrivateKey");
    return fn(env);
  } finally {
    process.kill(Number(pid));
  }
}

function main(): number {
  program.parse();
  const options = program.opts<RestoreOptions>();
  const planned = plan(parseConfig(readStackConfig(process.cwd(), options.stack)));
  const server = planned.servers.find((s) => s.name === planned.backup.primary)!;
  const script = renderRestoreCommand(planned, server);
  const args = [
    ...(options.to ? ["--to", options.to] : []),
    ...(options.set ? ["--set", options.set] : []),
    ...(options.overwrite ? ["--overwrite"] : []),
    ...(options.scratch ? ["--scratch"] : []),
    ...(options.scratchRemove ? ["--scratch-remove"] : []),
  ];
  if (options.print) {
    process.stdout.write(`# on ${server.name}: bash -s -- ${args.map(quote).join(" ")}\n${script}`);
    return 0;
  }
  const host = options.host ?? serverAddress(options.stack, server.name);
  const remote = ["bash", "-s", "--", ...args].map(quote).join(" ");
  // The script on stdin, the server's answers straight to the terminal.
  return withDeployKey(
    options.stack,
    (env) =>
      spawnSync(
        "ssh",
        ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new", `${DEPLOY_USER}@${host}`, remote],
        { input: script, env, stdio: ["pipe", "inherit", "inherit"] },
      ).status ?? 1,
  );
}

try {
  process.exitCode = main();
} catch (error) {
  const known = error instanceof ConfigError || error instanceof Error;
  process.stderr.write(`error: ${known ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
