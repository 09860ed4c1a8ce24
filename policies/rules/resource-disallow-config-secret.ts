import { formatFinding } from "../lib/finding";
import type { OrionResourcePolicy } from "../lib/policy";
import { CONFIG_NAMESPACE, SECRET_CONFIG_KEYS } from "../../model/config";

/**
 * The stack's own secrets, recognised by value rather than by shape: the
 * Pulumi CLI hands the pack the stack's config with secrets decrypted in
 * PULUMI_CONFIG (pulumi/pulumi sdk/go/common/resource/plugin/analyzer_plugin.go,
 * constructEnv: "Config is passed as an environment variable (including
 * unencrypted secrets)"). orion:appSecrets holds any names (SECRET_KEY,
 * STRIPE_KEY...), which no shape catches; their values do.
 */
const SHORTEST = 6;

export function stackSecretValues(env: NodeJS.ProcessEnv = process.env): { key: string; value: string }[] {
  let config: Record<string, string> = {};
  try {
    config = JSON.parse(env.PULUMI_CONFIG ?? "{}") as Record<string, string>;
  } catch {
    return [];
  }
  const found: { key: string; value: string }[] = [];
  for (const name of SECRET_CONFIG_KEYS) {
    const raw = config[`${CONFIG_NAMESPACE}:${name}`];
    if (typeof raw !== "string" || raw === "") continue;
    if (name === "appSecrets") {
      try {
        for (const [k, v] of Object.entries(JSON.parse(raw) as Record<string, unknown>))
          found.push({ key: `${CONFIG_NAMESPACE}:appSecrets.${k}`, value: String(v) });
      } catch {
        found.push({ key: `${CONFIG_NAMESPACE}:appSecrets`, value: raw });
      }
    } else {
      found.push({ key: `${CONFIG_NAMESPACE}:${name}`, value: raw });
    }
  }
  // A value of a few characters would match by chance anywhere.
  return found.filter((s) => s.value.length >= SHORTEST);
}

/** Properties the program marks secret (tests check that it does). */
const SECRET_FIELDS: Record<string, string[]> = {
  "command:remote:Command": ["stdin", "connection.privateKey", "connection.password"],
  "pulumi:providers:docker": ["registryAuth"],
  "pulumi:providers:hcloud": ["token"],
};

function strings(value: unknown, path: string, skip: string[]): { path: string; text: string }[] {
  if (skip.some((s) => path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`))) return [];
  if (typeof value === "string") return [{ path, text: value }];
  if (typeof value !== "object" || value === null) return [];
  let keys: string[] = [];
  try {
    keys = Object.keys(value);
  } catch {
    return []; // unknown at preview: no plain text yet
  }
  return keys.flatMap((k) => {
    let child: unknown;
    try {
      child = (value as Record<string, unknown>)[k];
    } catch {
      return [];
    }
    return strings(child, Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k, skip);
  });
}

export const resourceDisallowConfigSecret: OrionResourcePolicy = {
  name: "resource-disallow-config-secret",
  description:
    "No value of a secret of the stack (orion:dbPassword, orion:appSecrets.*, ...) may appear in a plain resource property.",
  enforcementLevel: "mandatory",
  reads: [
    "the stack's secret config values (PULUMI_CONFIG, as the Pulumi CLI hands it to the pack)",
    "every plain property of every resource, the deploy scripts and the files they write included (not `stdin` and the other secret inputs)",
  ],
  validateResource: (args, report) => {
    const secrets = stackSecretValues();
    if (secrets.length === 0) return;
    for (const { path, text } of strings(args.props, "", SECRET_FIELDS[args.type] ?? [])) {
      for (const s of secrets) {
        if (text.includes(s.value))
          report(
            formatFinding({
              resource: `resource ${args.name} (${args.type})`,
              key: path,
              problem: `holds the value of the secret ${s.key} in plain text`,
              fix: "pass it only in the env file (stdin) and refer to it as ${VAR}",
            }),
          );
      }
    }
  },
};
