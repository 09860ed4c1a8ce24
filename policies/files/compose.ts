import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";

/**
 * A compose file as Docker Compose will read it: parsed with the `yaml`
 * package that writes it (merge keys on, as Compose has them), with the
 * line of every setting so that a message can point at it.
 */
export interface ComposePort {
  /** As written: `127.0.0.1:5432:5432`, or the long syntax spelled the same way. */
  text: string;
  /** The host address; undefined means every interface. */
  hostIp?: string;
  published?: string;
  target: string;
  path: (string | number)[];
}

export interface ComposeMount {
  /** `bind` for a host path, `volume` for a named volume. */
  type: "bind" | "volume" | "other";
  source?: string;
  target: string;
  readOnly: boolean;
}

export interface ComposeService {
  name: string;
  image?: string;
  /** The memory limit in MiB from `mem_limit` or `deploy.resources.limits.memory` (the larger); undefined: none. */
  memoryMb?: number;
  /** Where the limit is written, e.g. `services.db.mem_limit`. */
  memoryPath?: (string | number)[];
  /** What the file says, for messages (`1g`). */
  memoryText?: string;
  /** A limit Compose cannot read (`lots`). */
  memoryInvalid?: boolean;
  replicas: number;
  replicasPath?: (string | number)[];
  ports: ComposePort[];
  environment: Record<string, string>;
  /** `command` as Compose runs it, one argument each (a string command is split as a shell would). */
  command: string[];
  mounts: ComposeMount[];
  networkMode?: string;
  profiles: string[];
  raw: Record<string, unknown>;
}

export interface ComposeFile {
  services: ComposeService[];
  /** Top-level named volumes. */
  volumes: string[];
  /** Subnets of the file's own networks (ipam). */
  subnets: string[];
  /** Settings the pack cannot follow (`include`, `extends`), with their paths. */
  unsupported: { path: (string | number)[]; what: string }[];
  /** Settings whose value Compose fills in from `${VAR}` at deploy time, so no check can read it. */
  interpolated: (string | number)[][];
  lineOf(path: (string | number)[]): number | undefined;
  /** A parse error, when the file is not YAML Compose can read. */
  error?: string;
}

/** Splits a command line into words the way a POSIX shell does for simple quoting. */
export function shellWords(text: string): string[] {
  return [...text.matchAll(/(?:'[^']*'|"(?:[^"\\]|\\.)*"|[^\s'"]+)+/g)].map((m) =>
    m[0].replace(
      /'([^']*)'|"((?:[^"\\]|\\.)*)"/g,
      (_, a: string | undefined, b: string) => a ?? b.replace(/\\(.)/g, "$1"),
    ),
  );
}

/** Compose's units (docker/go-units RAMInBytes): bytes, or a number with b, k, m, g, t (binary, optional `b`/`ib`). */
export function composeMemoryMb(value: unknown): number | undefined {
  if (typeof value === "number") return value > 0 ? value / 1024 / 1024 : undefined;
  if (typeof value !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s?([kmgtp])?i?b?\s*$/i.exec(value);
  if (!m) return undefined;
  const power = { k: 1, m: 2, g: 3, t: 4, p: 5 }[(m[2] ?? "").toLowerCase() as "k"] ?? 0;
  const bytes = Number(m[1]) * 1024 ** power;
  return bytes > 0 ? bytes / 1024 / 1024 : undefined;
}

/** Does Compose fill this value in from the environment? (`$$` is a literal dollar.) */
export function isInterpolated(text: string): boolean {
  return /\$(\{|[A-Za-z_])/.test(text.replace(/\$\$/g, ""));
}

function lineCounterOf(doc: Document, counter: LineCounter) {
  return (path: (string | number)[]): number | undefined => {
    const parentPath = path.slice(0, -1);
    const parent = (parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true)) as Node | undefined;
    const last = path[path.length - 1];
    let node: Node | undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(last));
      node = (pair?.key as Node | undefined) ?? undefined;
    } else if (isSeq(parent) && typeof last === "number") node = parent.items[last] as Node | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : counter.linePos(offset).line;
  };
}

function environmentOf(value: unknown): Record<string, string> {
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value
        .map((item) => String(item))
        .map((item) =>
          item.includes("=") ? [item.slice(0, item.indexOf("=")), item.slice(item.indexOf("=") + 1)] : [item, ""],
        ),
    );
  }
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, v === null || v === undefined ? "" : String(v)]),
    );
  return {};
}

function portsOf(name: string, value: unknown): ComposePort[] {
  if (!Array.isArray(value)) return [];
  return value.map((item, i): ComposePort => {
    const path = ["services", name, "ports", i];
    if (item && typeof item === "object") {
      const p = item as Record<string, unknown>;
      const hostIp = p.host_ip === undefined ? undefined : String(p.host_ip);
      const published = p.published === undefined ? undefined : String(p.published);
      return {
        text: [hostIp, published, String(p.target)].filter((x) => x !== undefined).join(":"),
        hostIp,
        published,
        target: String(p.target),
        path,
      };
    }
    const text = String(item);
    // [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]; an IPv6 host is written in brackets.
    const v6 = /^\[([^\]]+)\]:(.*)$/.exec(text);
    const parts = v6 ? [v6[1], ...v6[2].split(":")] : text.split(":");
    if (parts.length >= 3)
      return {
        text,
        hostIp: parts.slice(0, parts.length - 2).join(":"),
        published: parts[parts.length - 2],
        target: parts[parts.length - 1],
        path,
      };
    if (parts.length === 2) return { text, published: parts[0], target: parts[1], path };
    return { text, target: parts[0], path };
  });
}

function mountsOf(value: unknown): ComposeMount[] {
  if (!Array.isArray(value)) return [];
  return value.map((item): ComposeMount => {
    if (item && typeof item === "object") {
      const v = item as Record<string, unknown>;
      const type = v.type === "bind" ? "bind" : v.type === "volume" ? "volume" : "other";
      return {
        type,
        source: v.source === undefined ? undefined : String(v.source),
        target: String(v.target),
        readOnly: v.read_only === true,
      };
    }
    const parts = String(item).split(":");
    if (parts.length === 1) return { type: "volume", target: parts[0], readOnly: false };
    const [source, target, mode = ""] = parts;
    const isPath = source.startsWith("/") || source.startsWith(".") || source.startsWith("~");
    return { type: isPath ? "bind" : "volume", source, target, readOnly: mode.split(",").includes("ro") };
  });
}

/** Paths of the settings the checks read; a `${VAR}` in any of them hides the value from the pack. */
function interpolatedPaths(name: string, s: Record<string, unknown>): (string | number)[][] {
  const read = ["image", "mem_limit", "ports", "command", "entrypoint", "volumes", "network_mode", "scale", "deploy"];
  const found: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (typeof value === "string" && isInterpolated(value)) found.push(path);
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  for (const key of read) if (key in s) walk(s[key], ["services", name, key]);
  return found;
}

function serviceOf(name: string, s: Record<string, unknown>): ComposeService {
  const deploy = (s.deploy ?? {}) as { replicas?: unknown; resources?: { limits?: { memory?: unknown } } };
  const limits: { path: (string | number)[]; value: unknown }[] = [];
  if (s.mem_limit !== undefined) limits.push({ path: ["services", name, "mem_limit"], value: s.mem_limit });
  if (deploy.resources?.limits?.memory !== undefined)
    limits.push({
      path: ["services", name, "deploy", "resources", "limits", "memory"],
      value: deploy.resources.limits.memory,
    });
  const parsed = limits.map((l) => ({ ...l, mb: composeMemoryMb(l.value) }));
  const largest = [...parsed].sort((a, b) => (b.mb ?? Infinity) - (a.mb ?? Infinity))[0];
  const replicaSettings = [
    ...(deploy.replicas !== undefined
      ? [{ path: ["services", name, "deploy", "replicas"], value: Number(deploy.replicas) }]
      : []),
    ...(s.scale !== undefined ? [{ path: ["services", name, "scale"], value: Number(s.scale) }] : []),
  ].sort((a, b) => b.value - a.value);
  const command = Array.isArray(s.command)
    ? s.command.map(String)
    : typeof s.command === "string"
      ? shellWords(s.command)
      : [];
  return {
    name,
    image: s.image === undefined ? undefined : String(s.image),
    memoryMb: largest?.mb,
    memoryPath: largest?.path,
    memoryText: largest === undefined ? undefined : String(largest.value),
    memoryInvalid: parsed.some((p) => p.mb === undefined),
    replicas: replicaSettings[0]?.value ?? 1,
    replicasPath: replicaSettings[0]?.path,
    ports: portsOf(name, s.ports),
    environment: environmentOf(s.environment),
    command,
    mounts: mountsOf(s.volumes),
    networkMode: s.network_mode === undefined ? undefined : String(s.network_mode),
    profiles: Array.isArray(s.profiles) ? s.profiles.map(String) : [],
    raw: s,
  };
}

export function readCompose(text: string): ComposeFile {
  const counter = new LineCounter();
  const doc = parseDocument(text, { merge: true, lineCounter: counter });
  const lineOf = lineCounterOf(doc, counter);
  if (doc.errors.length > 0)
    return {
      services: [],
      volumes: [],
      subnets: [],
      unsupported: [],
      interpolated: [],
      lineOf,
      error: doc.errors[0].message,
    };
  const data = (doc.toJS({ maxAliasCount: 1000 }) ?? {}) as Record<string, unknown>;
  const services = (data.services ?? {}) as Record<string, Record<string, unknown>>;
  const unsupported: ComposeFile["unsupported"] = [];
  if (data.include !== undefined) unsupported.push({ path: ["include"], what: "include" });
  for (const [name, s] of Object.entries(services))
    if (s && typeof s === "object" && s.extends !== undefined)
      unsupported.push({ path: ["services", name, "extends"], what: "extends" });
  const networks = (data.networks ?? {}) as Record<string, { ipam?: { config?: { subnet?: string }[] } } | null>;
  return {
    services: Object.entries(services).map(([name, s]) => serviceOf(name, s ?? {})),
    volumes: Object.keys(data.volumes ?? {}),
    subnets: Object.values(networks).flatMap((n) =>
      (n?.ipam?.config ?? []).flatMap((c) => (c?.subnet ? [String(c.subnet)] : [])),
    ),
    unsupported,
    interpolated: Object.entries(services).flatMap(([name, s]) => interpolatedPaths(name, s ?? {})),
    lineOf,
  };
}

/** `services.db.ports[0]`: a path as a reader of the file would write it. */
export function keyOf(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}
