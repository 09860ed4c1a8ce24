import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { ProjectSshKey } from "../model/ssh-keys";

/** A server as this stack's last update left it: its `servers` output. */
export interface DeployedServer {
  type: string;
  ipv4Address: string;
}

/**
 * What exists before this update: this stack's servers (for the steps that
 * must run on a server before Hetzner touches it) and the Hetzner project's
 * SSH keys (to use one that is already there). Read before any resource is
 * registered, so every resource the program registers is known at preview.
 */
export interface Deployed {
  /** Servers from the stack's last successful update; empty on its first. */
  servers: Record<string, DeployedServer>;
  /** The stack was deployed by a version that had no name prefix (its outputs have no `namePrefix`). */
  beforePrefixes: boolean;
  sshKeys: ProjectSshKey[];
}

/** Name of the stack reference the program reads its own outputs through. */
export const PREVIOUS_OUTPUTS = "previous-outputs";

/**
 * The stack reads its own last outputs through a stack reference to itself
 * (the pattern Pulumi's maintainers describe in pulumi/pulumi issue 3722),
 * and the project's SSH keys through the provider's `getSshKeys`.
 */
export async function readDeployed(): Promise<Deployed> {
  const self = new pulumi.StackReference(PREVIOUS_OUTPUTS, {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  });
  const [servers, prefix, keys] = await Promise.all([
    self.getOutputDetails("servers"),
    self.getOutputDetails("namePrefix"),
    hcloud.getSshKeys({}),
  ]);
  const previous = (servers.value ?? servers.secretValue) as Record<string, Partial<DeployedServer>> | undefined;
  return {
    servers: Object.fromEntries(
      Object.entries(previous ?? {}).flatMap(([name, s]) =>
        typeof s?.type === "string" && typeof s.ipv4Address === "string"
          ? [[name, { type: s.type, ipv4Address: s.ipv4Address }]]
          : [],
      ),
    ),
    beforePrefixes: previous !== undefined && prefix.value === undefined,
    sshKeys: keys.sshKeys.map((k) => ({
      id: String(k.id),
      name: k.name,
      fingerprint: k.fingerprint,
      labels: k.labels ?? {},
    })),
  };
}
