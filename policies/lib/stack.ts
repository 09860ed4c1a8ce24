import { SERVER_BUDGET_KIND, type ServerBudgetRecord } from "../../model/budget-record";
import { readCompose, shellWords, type ComposeFile } from "../files/compose";
import { commandLines, deployDirOf, filesWritten, type WrittenFile } from "./heredocs";
import { snapshot, UNKNOWN, type Props, type Unknown } from "./props";

/** Pulumi resource types (a URN's type) the pack reads; a server type such as cax11 is `serverType` (lib/servers.ts). */
export const COMMAND_TYPE = "command:remote:Command";
export const SERVER_RESOURCE_TYPE = "hcloud:index/server:Server";
export const VOLUME_TYPE = "hcloud:index/volume:Volume";
export const VOLUME_ATTACHMENT_TYPE = "hcloud:index/volumeAttachment:VolumeAttachment";
export const SERVER_NETWORK_TYPE = "hcloud:index/serverNetwork:ServerNetwork";
export const PLACEMENT_GROUP_TYPE = "hcloud:index/placementGroup:PlacementGroup";
export const LOAD_BALANCER_RESOURCE_TYPE = "hcloud:index/loadBalancer:LoadBalancer";

/** The part of @pulumi/policy's PolicyResource the pack reads; tests build the same shape. */
export interface ResourceLike {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  opts: { protect?: boolean };
  dependencies?: { urn: string }[];
  propertyDependencies?: Record<string, { urn: string }[]>;
}

export interface StackResource {
  type: string;
  name: string;
  urn: string;
  props: Props;
  protect: boolean;
  /** URNs each property depends on (the engine's propertyDependencies). */
  dependsOn: Record<string, string[]>;
}

export interface ServerView extends StackResource {
  serverType: string | Unknown | undefined;
  location: string | Unknown | undefined;
  role?: string;
  /** Addresses on the private network (its ServerNetwork resources). */
  privateIps: string[];
  /** URNs of the placement groups it joins; UNKNOWN when its group is set but not traceable. */
  placementGroups: string[] | Unknown;
  /** Hetzner volumes attached to it. */
  volumes: StackResource[];
  deployments: Deployment[];
}

/** One compose project a command sets up on a server: the files it writes and how it starts them. */
export interface Deployment {
  command: StackResource;
  /** The server the command connects to; undefined when nothing ties it to one. */
  server?: ServerView;
  /** The server's name for messages (the command's name when no server is known). */
  serverName: string;
  /** The script, or UNKNOWN while preview cannot know it. */
  script: string | Unknown;
  files: Map<string, WrittenFile>;
  composePath?: string;
  compose?: ComposeFile;
  /** `docker compose up --scale name=N`. */
  scale: Record<string, number>;
  /** Names of the env file's variables (stdin): never their values. UNKNOWN while preview cannot know them. */
  envNames: Set<string> | Unknown | undefined;
  /** The budget the program declares beside the deploy (first trigger). */
  record?: ServerBudgetRecord;
}

export interface StackView {
  resources: StackResource[];
  servers: ServerView[];
  deployments: Deployment[];
  /** Every command, with the server it runs on, for checks that read any script. */
  commands: { command: StackResource; server?: ServerView; script: string | Unknown }[];
}

const COMPOSE_NAMES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

/** Parses repeat per policy (the pack hands each stack policy its own copy of the resources): remember the last few. */
function memo<T>(fn: (text: string) => T): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    const hit = cache.get(text);
    if (hit !== undefined) return hit;
    const value = fn(text);
    if (cache.size > 64) cache.delete(cache.keys().next().value as string);
    cache.set(text, value);
    return value;
  };
}
export const composeOf = memo(readCompose);
const filesOf = memo((script: string) => filesWritten(script, deployDirOf(script)));

/** The variable names of an env file, one `NAME=...` a line. Values are never kept. */
export function envNamesOf(envFile: string): Set<string> {
  return new Set(
    envFile.split("\n").flatMap((line) => /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/.exec(line)?.[1] ?? []),
  );
}

/** The `docker compose ... up` line: which file it reads and what it scales. */
function composeUp(script: string): { file?: string; scale: Record<string, number>; runs: boolean } {
  const line = commandLines(script)
    .map((l) => l.text)
    .find((l) => /\bdocker(?:-compose|\s+compose)\b.*\bup\b/.test(l));
  if (!line) return { scale: {}, runs: false };
  const words = shellWords(line.slice(line.search(/\bdocker/)));
  const scale: Record<string, number> = {};
  let file: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if ((w === "-f" || w === "--file") && words[i + 1]) file = words[++i];
    else if (w.startsWith("--file=")) file = w.slice(7);
    else if (w === "--scale" && words[i + 1]) {
      const [name, n] = words[++i].split("=");
      scale[name] = Number(n);
    } else if (w.startsWith("--scale=")) {
      const [name, n] = w.slice(8).split("=");
      scale[name] = Number(n);
    }
  }
  return { file: file?.replace(/^\.\//, ""), scale, runs: true };
}

function toResource(r: ResourceLike): StackResource {
  const dependsOn: Record<string, string[]> = {};
  for (const [key, deps] of Object.entries(r.propertyDependencies ?? {})) dependsOn[key] = deps.map((d) => d.urn);
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: snapshot(r.props) as Props,
    protect: r.opts.protect === true,
    dependsOn,
  };
}

/** The resource a property points at through its dependencies, of the given type. */
function target(
  from: StackResource,
  property: string,
  byUrn: Map<string, StackResource>,
  type: string,
): StackResource | undefined {
  return (from.dependsOn[property] ?? []).map((u) => byUrn.get(u)).find((r) => r?.type === type);
}

function deploymentOf(command: StackResource, server: ServerView | undefined): Deployment | undefined {
  const script =
    command.props.create === UNKNOWN
      ? UNKNOWN
      : typeof command.props.create === "string"
        ? command.props.create
        : undefined;
  if (script === undefined) return undefined;
  const files = script === UNKNOWN ? new Map<string, WrittenFile>() : filesOf(script);
  const up = script === UNKNOWN ? { scale: {}, runs: false } : composeUp(script);
  const composePath = up.file ?? COMPOSE_NAMES.find((n) => files.has(n));
  if (script !== UNKNOWN && !up.runs && composePath === undefined) return undefined;
  const stdin = command.props.stdin;
  const triggers = command.props.triggers;
  const first = Array.isArray(triggers) ? (triggers[0] as Partial<ServerBudgetRecord> | undefined) : undefined;
  return {
    command,
    server,
    serverName: server?.name ?? command.name,
    script,
    files,
    composePath,
    compose: composePath && files.has(composePath) ? composeOf(files.get(composePath)!.content) : undefined,
    scale: up.scale,
    envNames: stdin === UNKNOWN ? UNKNOWN : typeof stdin === "string" ? envNamesOf(stdin) : undefined,
    record:
      first && typeof first === "object" && first.kind === SERVER_BUDGET_KIND
        ? (first as ServerBudgetRecord)
        : undefined,
  };
}

/** What the stack deploys, server by server, read from the resources the engine hands the pack. */
export function stackView(input: readonly ResourceLike[]): StackView {
  const resources = input.map(toResource);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const servers: ServerView[] = resources
    .filter((r) => r.type === SERVER_RESOURCE_TYPE)
    .map((r) => {
      const labels = (r.props.labels ?? {}) as Record<string, unknown>;
      const placement = r.props.placementGroupId;
      const groups = (r.dependsOn.placementGroupId ?? []).filter((u) => byUrn.get(u)?.type === PLACEMENT_GROUP_TYPE);
      return {
        ...r,
        serverType: r.props.serverType === UNKNOWN ? UNKNOWN : (r.props.serverType as string | undefined),
        location: r.props.location === UNKNOWN ? UNKNOWN : (r.props.location as string | undefined),
        role: typeof labels["orion-role"] === "string" ? labels["orion-role"] : undefined,
        privateIps: [],
        placementGroups: groups.length > 0 || placement === undefined || placement === null ? groups : UNKNOWN,
        volumes: [],
        deployments: [],
      };
    });
  const serverByUrn = new Map(servers.map((s) => [s.urn, s]));
  const serverOf = (r: StackResource, property: string): ServerView | undefined => {
    const linked = target(r, property, byUrn, SERVER_RESOURCE_TYPE);
    if (linked) return serverByUrn.get(linked.urn);
    // Without dependencies (a hand-written resource), a known address still says where a command runs.
    const host = (r.props.connection as Record<string, unknown> | undefined)?.host;
    return typeof host === "string" ? servers.find((s) => s.props.ipv4Address === host) : undefined;
  };
  for (const r of resources) {
    if (r.type === SERVER_NETWORK_TYPE && typeof r.props.ip === "string")
      serverOf(r, "serverId")?.privateIps.push(r.props.ip);
    if (r.type === VOLUME_ATTACHMENT_TYPE) {
      const volume = target(r, "volumeId", byUrn, VOLUME_TYPE);
      if (volume) serverOf(r, "serverId")?.volumes.push(volume);
    }
  }
  const commands = resources
    .filter((r) => r.type === COMMAND_TYPE)
    .map((command) => ({
      command,
      server: serverOf(command, "connection"),
      script: command.props.create as string | Unknown,
    }));
  const deployments: Deployment[] = [];
  for (const { command, server } of commands) {
    const deployment = deploymentOf(command, server);
    if (!deployment) continue;
    deployments.push(deployment);
    server?.deployments.push(deployment);
  }
  return { resources, servers, deployments, commands };
}

/** The file a deploy writes for a path, or its template (`name.tmpl`, filled in on the server). */
export function fileAt(deployment: Deployment, path: string): WrittenFile | undefined {
  const clean = path.replace(/^\.\//, "");
  return deployment.files.get(clean) ?? deployment.files.get(`${clean}.tmpl`);
}
