import { createHash } from "node:crypto";
import { parse } from "yaml";
import { parseConfig } from "../../model/config";
import { plan, type Plan } from "../../model/plan";
import { CONFIG_NAMESPACE } from "../../model/config";
import { OFFLINE_SECRETS, runOrion } from "../../offline/orion";
import { OBJECTS_KEYS } from "./objects";
import { unwrap } from "../../offline/wire";

/**
 * What `pulumi up` would send to the servers, read off the real program run
 * under Pulumi's mocks: every `command:remote:Command` with its exact
 * script, stdin (the env file) and triggers, every server's user-data and
 * address. The @pulumi/command provider cannot run here; the bed sends the
 * same bytes over SSH itself.
 */

export type CommandKind = "deploy" | "pull" | "release" | "other";

export interface RemoteCommand {
  /** The resource name (`app-deploy`, `db-pull`, `app-release-pgdata`). */
  name: string;
  /** The plan's server it runs on. */
  server: string;
  kind: CommandKind;
  user: string;
  create: string;
  stdin?: string;
  /** Names of the commands it waits for. */
  after: string[];
  /** Changes when any input Pulumi compares changes: a changed command runs again on `up`. */
  fingerprint: string;
}

export interface ProgramRun {
  config: Record<string, unknown>;
  plan: Plan;
  servers: Record<string, { publicIp: string; privateIp: string; userData: string }>;
  commands: RemoteCommand[];
}

function kindOf(name: string, server: string): CommandKind {
  const suffix = name.slice(server.length + 1);
  return suffix === "deploy"
    ? "deploy"
    : suffix === "pull"
      ? "pull"
      : suffix.startsWith("release")
        ? "release"
        : "other";
}

/** The offline secrets as they are at this run (a scenario may change one, as `pulumi config set --secret` would), with the keys the bed's object storage accepts. */
const bedSecrets = (): Record<string, string> => ({
  ...OFFLINE_SECRETS,
  [`${CONFIG_NAMESPACE}:backupAccessKey`]: OBJECTS_KEYS.accessKey,
  [`${CONFIG_NAMESPACE}:backupSecretKey`]: OBJECTS_KEYS.secretKey,
});

/**
 * The bed's one divergence in how images arrive: no registry exists here, so
 * the engines hold the images under their name:tag and every image reference
 * loses its `@sha256:` digest before a script is sent. Everything else is
 * sent byte for byte.
 */
export const withoutDigests = (text: string) => text.replace(/@sha256:[0-9a-f]{64}/g, "");

/** Runs the Orion program as `pulumi up` would, with the offline image lock's digests, which the bed then drops. Calls must not overlap (Pulumi's mocks are global). */
export async function runProgram(config: Record<string, unknown>): Promise<ProgramRun> {
  const planned = plan(parseConfig(config));
  const run = await runOrion(config, { preview: false, secrets: bedSecrets() });
  const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
  const servers: ProgramRun["servers"] = {};
  const commands: RemoteCommand[] = [];
  for (const server of planned.servers) {
    const resource = run.resources.find((r) => r.type === "hcloud:index/server:Server" && r.name === server.name);
    const deploy = run.resources.find((r) => r.type === "command:remote:Command" && r.name === `${server.name}-deploy`);
    const network = run.resources.find(
      (r) => r.type === "hcloud:index/serverNetwork:ServerNetwork" && r.name === `${server.name}-private`,
    );
    if (!resource || !deploy || !network)
      throw new Error(`the program registered no server, private network or deploy for ${server.name}`);
    const connection = unwrap(deploy.inputs.connection) as { host: string };
    servers[server.name] = {
      publicIp: connection.host,
      privateIp: String(unwrap(network.inputs.ip)),
      userData: String(unwrap(resource.inputs.userData)),
    };
  }
  const serverOfIp = new Map(Object.entries(servers).map(([name, s]) => [s.publicIp, name]));
  for (const r of run.resources.filter((x) => x.type === "command:remote:Command")) {
    const inputs = unwrap(r.inputs) as {
      connection: { host: string; user: string };
      create: string;
      stdin?: string;
      triggers?: unknown;
    };
    const server = serverOfIp.get(inputs.connection.host);
    if (!server) throw new Error(`${r.name} connects to ${inputs.connection.host}, which is no server of the plan`);
    // Waits for other commands directly or through the resources between them (a volume attachment waits for the release).
    const after = new Set<string>();
    const visit = (urn: string, seen: Set<string>) => {
      if (seen.has(urn)) return;
      seen.add(urn);
      const dep = byUrn.get(urn);
      if (!dep) return;
      if (dep.type === "command:remote:Command") after.add(dep.name);
      else for (const next of dep.dependencies) visit(next, seen);
    };
    for (const urn of r.dependencies) visit(urn, new Set());
    const fingerprint = createHash("sha256")
      .update(JSON.stringify([inputs.connection, inputs.create, inputs.stdin ?? null, inputs.triggers ?? null]))
      .digest("hex");
    commands.push({
      name: r.name,
      server,
      kind: kindOf(r.name, server),
      user: inputs.connection.user,
      create: withoutDigests(inputs.create),
      stdin: inputs.stdin,
      after: [...after],
      fingerprint,
    });
  }
  return { config, plan: planned, servers, commands };
}

/** The files a deploy script writes, read back from its heredocs. */
export function deployedFiles(script: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const match of script.matchAll(/^cat > '([^']+)' <<'ORION_FILE_EOF'\n([\s\S]*?)^ORION_FILE_EOF$/gm))
    files[match[1]] = match[2];
  return files;
}

/** The image references of a server's compose file, as its deploy writes it. */
export function composeImages(deployScript: string): string[] {
  const compose = deployedFiles(deployScript)["compose.yaml"];
  if (!compose) throw new Error("the deploy script writes no compose.yaml");
  return [
    ...new Set(
      Object.values((parse(compose) as { services: Record<string, { image: string }> }).services).map((s) => s.image),
    ),
  ].sort();
}

/** `docker pull --quiet 'image'` lines of a pull script. */
export function pulledImages(pullScript: string): string[] {
  return [...pullScript.matchAll(/^docker pull --quiet '([^']+)'$/gm)].map((m) => m[1]);
}
