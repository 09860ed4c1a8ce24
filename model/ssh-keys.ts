import { createHash } from "node:crypto";
import { LEGACY_NAME_PREFIX, STACK_LABEL } from "./names";

/**
 * The stack's SSH keys at Hetzner. Hetzner refuses a second key with the same
 * fingerprint (`uniqueness_error`) or the same name in a project, and
 * operators usually upload their key in the console before anything else. So
 * a key already in the project is used as it is, and only a key Hetzner does
 * not have is created, with a name that changes with the key: a changed key
 * is then a new name and a new fingerprint, which Hetzner accepts while the
 * old key still exists (the bridge creates the replacement first;
 * terraform-provider-hcloud v1.68.0 internal/sshkey/resource.go:68-74 marks
 * `public_key` RequiresReplace, and pulumi-terraform-bridge v3.135.0
 * pkg/pf/tfbridge/provider_diff.go:114-121 asks for delete-before-replace only
 * when the resource's info says so, which the hcloud bridge does not).
 */
export interface ProjectSshKey {
  id: string;
  name: string;
  fingerprint: string;
  labels: Record<string, string>;
}

export type SshKeyPlan =
  | {
      action: "manage";
      resourceName: string;
      name: string;
      publicKey: string;
      fingerprint: string;
      labels: Record<string, string>;
    }
  | { action: "reuse"; id: string; name: string; fingerprint: string };

/** Hetzner's fingerprint of an OpenSSH public key: the MD5 of the key blob, as colon-separated hex. */
export function sshFingerprint(publicKey: string): string {
  const blob = publicKey.trim().split(/\s+/)[1];
  if (!blob) throw new Error(`not an OpenSSH public key: ${publicKey.slice(0, 40)}`);
  const hex = createHash("md5").update(Buffer.from(blob, "base64")).digest("hex");
  return hex.match(/../g)!.join(":");
}

/**
 * For each configured key (in order, duplicates dropped): manage it (create
 * it, or keep the one this stack created before) or reuse the project's.
 * A key is this stack's when it carries the stack label with this prefix, or,
 * for a stack deployed before name prefixes existed, when it has the name that
 * version gave it (`orion-operator-<n>`) and no stack label.
 */
export function planSshKeys(
  publicKeys: string[],
  projectKeys: ProjectSshKey[],
  prefix: string,
  deployedBeforePrefixes: boolean,
): SshKeyPlan[] {
  const seen = new Set<string>();
  const plans: SshKeyPlan[] = [];
  publicKeys.forEach((publicKey, i) => {
    const fingerprint = sshFingerprint(publicKey);
    if (seen.has(fingerprint)) return;
    seen.add(fingerprint);
    const found = projectKeys.find((k) => k.fingerprint === fingerprint);
    const ours =
      found === undefined ||
      found.labels[STACK_LABEL] === prefix ||
      (deployedBeforePrefixes &&
        found.labels[STACK_LABEL] === undefined &&
        found.name === `${LEGACY_NAME_PREFIX}-operator-${i + 1}`);
    if (found && !ours) {
      plans.push({ action: "reuse", id: found.id, name: found.name, fingerprint });
      return;
    }
    plans.push({
      action: "manage",
      resourceName: `operator-${i + 1}`,
      name: `${prefix}-operator-${fingerprint.replace(/:/g, "").slice(0, 8)}`,
      publicKey: publicKey.trim(),
      fingerprint,
      labels: { [STACK_LABEL]: prefix },
    });
  });
  return plans;
}
