import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { isNode, parseDocument, visit, YAMLError, type Node } from "yaml";
import { CONFIG_NAMESPACE } from "../model/config";

type YamlMap = Record<string, unknown>;

const isMap = (v: unknown): v is YamlMap => typeof v === "object" && v !== null && !Array.isArray(v);

/** A stack or project file that cannot be read: one line for the operator, naming the file and where. */
export class StackFileError extends Error {}

const where = (file: string, error: YAMLError) =>
  `${file}${error.linePos ? ` line ${error.linePos[0].line}, column ${error.linePos[0].col}` : ""}`;

/**
 * A Pulumi YAML file as a map. An empty file is an empty map, as Pulumi takes
 * it; duplicate keys and aliases that contain themselves are refused, since
 * Pulumi would refuse them too and the values they lead to are not data.
 */
function readYaml(path: string): YamlMap {
  const file = basename(path);
  const text = readFileSync(path, "utf8");
  const doc = parseDocument(text, { uniqueKeys: true });
  const [error] = doc.errors;
  if (error) {
    const at = error.linePos?.[0];
    const duplicate = at
      ? /^\s*(.*?):(\s|$)/.exec(text.split("\n")[at.line - 1]?.slice(at.col - 1) ?? "")?.[1]
      : undefined;
    const message =
      error.code === "DUPLICATE_KEY"
        ? `${duplicate ?? "a key"} appears twice in the same map; keep one`
        : error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new StackFileError(`${where(file, error)}: ${message}`);
  }
  visit(doc, {
    Alias(_, alias, path) {
      const target = alias.resolve(doc);
      if (target && path.some((ancestor) => isNode(ancestor) && (ancestor as Node) === target)) {
        const line = alias.range ? text.slice(0, alias.range[0]).split("\n").length : undefined;
        throw new StackFileError(
          `${file}${line ? ` line ${line}` : ""}: the alias *${alias.source} refers to the node that contains it; write the value out instead`,
        );
      }
    },
  });
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) return {};
  if (!isMap(value)) throw new StackFileError(`${file} is not a YAML map of settings; start it with \`config:\``);
  return value;
}

/** Stacks with a settings file here: Pulumi.<stack>.yaml. */
export function stacksIn(projectDir: string): string[] {
  return readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** `orion:stage` and `stage` are the same project key; other namespaces (hcloud:token) are not ours. */
/** `{secure: ...}`, or a map set with `pulumi config set --secret --path` (orion:appSecrets.SECRET_KEY) whose every value is one. */
function isSecure(value: unknown): boolean {
  return isMap(value) && ("secure" in value || (Object.keys(value).length > 0 && Object.values(value).every(isSecure)));
}

function projectKey(key: string): string | undefined {
  if (!key.includes(":")) return key;
  const [namespace, name] = key.split(":", 2);
  return namespace === CONFIG_NAMESPACE ? name : undefined;
}

/**
 * Raw `orion:*` config as Pulumi would see it for a stack: Pulumi.yaml's
 * defaults and values, then Pulumi.<stack>.yaml on top. Secure values are
 * skipped: the plan needs no secret, and only the Pulumi CLI can decrypt them.
 */
export function readStackConfig(projectDir: string, stack?: string): Record<string, unknown> {
  const projectFile = join(projectDir, "Pulumi.yaml");
  const raw: Record<string, unknown> = {};
  const declared = readYaml(projectFile).config;
  if (isMap(declared)) {
    for (const [key, entry] of Object.entries(declared)) {
      const name = projectKey(key);
      if (!name) continue;
      const value = isMap(entry) ? (entry.default ?? entry.value) : entry;
      if (value !== undefined) raw[name] = value;
    }
  }
  if (stack === undefined) return raw;
  const stackFile = join(projectDir, `Pulumi.${stack}.yaml`);
  if (!existsSync(stackFile)) {
    const stacks = stacksIn(projectDir);
    const known =
      stacks.length > 0 ? `the stacks here are ${stacks.join(", ")}` : "no stack has a Pulumi.<stack>.yaml here yet";
    throw new StackFileError(
      `--stack ${stack}: there is no Pulumi.${stack}.yaml here; ${known}; create it with \`pulumi stack init ${stack}\``,
    );
  }
  const values = readYaml(stackFile).config;
  if (isMap(values)) {
    for (const [key, value] of Object.entries(values)) {
      const name = projectKey(key);
      if (!name || isSecure(value)) continue;
      raw[name] = value;
    }
  }
  return raw;
}

/** Secret keys (`orion:dbPassword: {secure: ...}`) the stack file sets: their names only, for checks that need to know one is there. */
export function readStackSecretKeys(projectDir: string, stack?: string): string[] {
  if (stack === undefined) return [];
  const values = readYaml(join(projectDir, `Pulumi.${stack}.yaml`)).config;
  if (!isMap(values)) return [];
  return Object.entries(values).flatMap(([key, value]) => {
    const name = projectKey(key);
    return name && isSecure(value) ? [name] : [];
  });
}

/**
 * Applies `--set key=value`: `stage=growth`, `orion:memoryLimits.celery-worker=3g`,
 * `adminCidrs=["203.0.113.7/32"]`. Values stay text, as `pulumi config set` stores them.
 */
export function applySetting(raw: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf("=");
  if (eq <= 0) throw new Error(`--set ${assignment}: use key=value, e.g. --set memoryLimits.db=1g`);
  const path = assignment.slice(0, eq).replace(new RegExp(`^${CONFIG_NAMESPACE}:`), "");
  const value = assignment.slice(eq + 1);
  const [top, ...rest] = path.split(".");
  if (rest.length === 0) {
    raw[top] = value;
    return;
  }
  const current = raw[top];
  const map: YamlMap = isMap(current)
    ? { ...current }
    : typeof current === "string" && current.trim().startsWith("{")
      ? (JSON.parse(current) as YamlMap)
      : {};
  map[rest.join(".")] = value;
  raw[top] = map;
}

/** Names (never values) of orion:appSecrets in the stack file: the compose files and the env file name them, as in `pulumi up`. */
export function readAppSecretNames(projectDir: string, stack?: string): string[] {
  if (stack === undefined) return [];
  const values = readYaml(join(projectDir, `Pulumi.${stack}.yaml`)).config;
  const secrets = isMap(values) ? values[`${CONFIG_NAMESPACE}:appSecrets`] : undefined;
  return isMap(secrets) && !("secure" in secrets) ? Object.keys(secrets).sort() : [];
}
