import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { CONFIG_NAMESPACE } from "../model/config";

type YamlMap = Record<string, unknown>;

const isMap = (v: unknown): v is YamlMap => typeof v === "object" && v !== null && !Array.isArray(v);

function readYaml(path: string): YamlMap {
  const doc: unknown = parse(readFileSync(path, "utf8"));
  if (!isMap(doc)) throw new Error(`${path} is not a YAML map`);
  return doc;
}

/** `orion:stage` and `stage` are the same project key; other namespaces (hcloud:token) are not ours. */
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
    throw new Error(`--stack ${stack}: there is no Pulumi.${stack}.yaml here; create the stack with \`pulumi stack init ${stack}\` or use one of the Pulumi.*.yaml files`);
  }
  const values = readYaml(stackFile).config;
  if (isMap(values)) {
    for (const [key, value] of Object.entries(values)) {
      const name = projectKey(key);
      if (!name || (isMap(value) && "secure" in value)) continue;
      raw[name] = value;
    }
  }
  return raw;
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
  const map: YamlMap = isMap(current) ? { ...current } : typeof current === "string" && current.trim().startsWith("{") ? JSON.parse(current) : {};
  map[rest.join(".")] = value;
  raw[top] = map;
}
