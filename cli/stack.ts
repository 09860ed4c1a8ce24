import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONFIG_NAMESPACE, parseConfig } from "../model/config";
import { plan, type Plan } from "../model/plan";
import { DEPLOY_USER } from "../model/render/deploy-script";
import { readStackConfig } from "./stack-config";

/**
 * A deployed stack as the operator commands (status, logs, exec) see it:
 * the plan from Pulumi.yaml and Pulumi.<stack>.yaml (what `pulumi up` reads),
 * the servers' addresses from the stack's outputs, and SSH as the program's
 * deploy commands connect: the deploy user, port 22, the secret
 * orion:sshPrivateKey when it is set, else the SSH agent.
 */
export interface DeployedStack {
  stack: string;
  plan: Plan;
  /** Public IPv4 of each server, from `pulumi stack output servers`. */
  addresses: Record<string, string>;
  /** A private key file (from orion:sshPrivateKey), or undefined for the agent. */
  keyFile?: string;
  close(): void;
}

function pulumi(args: string[]): string {
  const result = spawnSync("pulumi", args, { encoding: "utf8" });
  if (result.error && (result.error as NodeJS.ErrnoException).code === "ENOENT")
    throw new Error(
      "the Pulumi CLI is not installed here; these commands read the stack's outputs with it (`pulumi stack output`)",
    );
  if (result.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

export function openStack(stack: string, projectDir = process.cwd()): DeployedStack {
  const planned = plan(parseConfig(readStackConfig(projectDir, stack)));
  const outputs = JSON.parse(pulumi(["stack", "output", "--json", "--stack", stack])) as {
    servers?: Record<string, { ipv4Address?: string }>;
  };
  const addresses = Object.fromEntries(
    Object.entries(outputs.servers ?? {}).flatMap(([name, s]) => (s.ipv4Address ? [[name, s.ipv4Address]] : [])),
  );
  const missing = planned.servers.map((s) => s.name).filter((n) => !addresses[n]);
  if (missing.length > 0)
    throw new Error(`stack ${stack} has no address for ${missing.join(", ")} in its outputs; run \`pulumi up\` first`);
  const keys = JSON.parse(pulumi(["config", "--json", "--show-secrets", "--stack", stack])) as Record<
    string,
    { value?: string }
  >;
  const key = keys[`${CONFIG_NAMESPACE}:sshPrivateKey`]?.value;
  let dir: string | undefined;
  let keyFile: string | undefined;
  if (key) {
    dir = mkdtempSync(join(tmpdir(), "orion-ssh-"));
    keyFile = join(dir, "key");
    writeFileSync(keyFile, key.endsWith("\n") ? key : `${key}\n`, { mode: 0o600 });
  }
  return {
    stack,
    plan: planned,
    addresses,
    keyFile,
    close: () => dir && rmSync(dir, { recursive: true, force: true }),
  };
}

/** The ssh command line for a server: the deploy user, as the program's commands connect. */
export function sshArgs(stack: DeployedStack, server: string, script: string, tty = false): string[] {
  const address = stack.addresses[server];
  if (!address)
    throw new Error(`stack ${stack.stack} has no server ${server}; it has ${Object.keys(stack.addresses).join(", ")}`);
  return [
    "-o",
    "BatchMode=yes",
    // The program's commands do not check host keys; these commands remember the first one they see.
    "-o",
    "StrictHostKeyChecking=accept-new",
    "-o",
    "ConnectTimeout=20",
    ...(stack.keyFile ? ["-i", stack.keyFile, "-o", "IdentitiesOnly=yes"] : []),
    ...(tty ? ["-t"] : []),
    `${DEPLOY_USER}@${address}`,
    script,
  ];
}

export interface RemoteResult {
  server: string;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a script on a server over SSH and collects its output. */
export function remote(stack: DeployedStack, server: string, script: string, input?: string): Promise<RemoteResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("ssh", sshArgs(stack, server, script), { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ server, code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** Single-quotes a word for the remote shell. */
export function quote(word: string): string {
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

/** Servers of the plan that run a service. */
export function serversRunning(planned: Plan, service: string): string[] {
  return planned.servers
    .filter((s) => s.services.some((x) => x.name === service) || (service === "caddy" && s.caddy))
    .map((s) => s.name);
}
