import type { ResourceValidationPolicy } from "@pulumi/policy";
import { UnknownValueError } from "@pulumi/policy/proxy";

/**
 * The pack sees secrets already decrypted, so it recognises them by shape:
 * a password inside a connection URL, or a password-like setting with a
 * literal value. `${VAR}` references to the env file are what the program writes.
 */
const URL_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+:([^\s@/'"]+)@/gi;
// sudoers' NOPASSWD tag is a rule, not a password.
const PASSWORD_SETTING = /\b(?!NOPASSWD\b)([A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN)[A-Z0-9_]*|password|passwd|secret|token)\s*[=:]\s*['"]?([^\s'"$]{4,})/g;

/** Properties that carry secrets by design; the program marks them secret (tests check that it does). */
const SECRET_FIELDS: Record<string, string[]> = {
  "command:remote:Command": ["stdin", "connection.privateKey", "connection.password"],
  "pulumi:providers:docker": ["registryAuth"],
  "pulumi:providers:hcloud": ["token"],
};

/**
 * A property's value, or undefined while it is unknown at preview: an unknown
 * value holds no plain-text secret yet, and the pack checks it again at `pulumi up`.
 */
function read(container: Record<string | number, unknown>, key: string | number): unknown {
  try {
    return container[key];
  } catch (error) {
    if (error instanceof UnknownValueError) return undefined;
    throw error;
  }
}

function strings(value: unknown, path: string, skip: string[]): { path: string; text: string }[] {
  if (skip.some((s) => path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`))) return [];
  if (typeof value === "string") return [{ path, text: value }];
  if (typeof value !== "object" || value === null) return [];
  const container = value as Record<string | number, unknown>;
  return Object.keys(container).flatMap((k) => strings(read(container, k), Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k, skip));
}

function mask(secret: string): string {
  return `${secret.slice(0, 2)}${"*".repeat(Math.max(3, secret.length - 2))}`;
}

export const resourceDisallowPlainSecret: ResourceValidationPolicy = {
  name: "resource-disallow-plain-secret",
  description: "No password or token may appear in a plain resource property, such as a password inside a DATABASE_URL.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    for (const { path, text } of strings(args.props, "", SECRET_FIELDS[args.type] ?? [])) {
      for (const m of text.matchAll(URL_PASSWORD)) {
        if (!m[1].startsWith("${")) report(`${args.name}: property ${path} holds a URL with the password ${mask(m[1])} in plain text; pass it through a Pulumi secret and the env file`);
      }
      for (const m of text.matchAll(PASSWORD_SETTING)) {
        // POSTGRES_PASSWORD_FILE=/etc/...: a *_FILE setting names the file that holds the secret, not the secret.
        if (m[1].endsWith("_FILE") && m[2].startsWith("/")) continue;
        // ${HASH_VAR:-none}: compose's default for an interpolated variable, not a value set here.
        if (text.slice(Math.max(0, (m.index ?? 0) - 2), m.index).endsWith("${")) continue;
        report(`${args.name}: property ${path} sets ${m[1]} to ${mask(m[2])} in plain text; pass it through a Pulumi secret and the env file`);
      }
    }
  },
};
