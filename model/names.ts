/**
 * Names of the stack's resources at Hetzner. Hetzner wants server, volume,
 * network, firewall, placement group, load balancer, certificate and SSH key
 * names unique per project, so every one starts with a prefix of the stack's
 * own: two stacks (staging and production) can share one Hetzner project.
 *
 * Pulumi's resource names (and so the URNs) never contain the prefix: they
 * stay by role (`app`, `pgdata`), and changing the prefix renames the Hetzner
 * resources in place (every `name` field of the hcloud resources is updated
 * by an API call, never a replacement; see offline/replace-rules.ts).
 */

/** The label every server carries with the stack's prefix: CI applies its temporary SSH firewall by it. */
export const STACK_LABEL = "orion-stack";

/**
 * A prefix Hetzner accepts in a server name (a host name: letters, digits and
 * dashes) and as a label value, leaving room for the longest suffix
 * (`-db-replica-5`) within a host name's 63 characters.
 */
export const NAME_PREFIX_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
export const NAME_PREFIX_HELP =
  "lowercase letters, digits and dashes, 1 to 40 characters, starting and ending with a letter or digit, e.g. orion-prod";

/** The default prefix: project and stack (`orion-prod`), made fit for a host name. */
export function defaultNamePrefix(project: string, stack: string): string {
  const cleaned = `${project}-${stack}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 40)
    .replace(/-$/, "");
  return cleaned === "" ? "orion" : cleaned;
}

/** The Hetzner name of a resource with a role name (`app`, `private`, `pgdata`). */
export function hetznerName(prefix: string, role: string): string {
  return `${prefix}-${role}`;
}

/**
 * Before prefixes, every Hetzner name began with `orion-`. A stack deployed
 * then keeps those names when it sets `orion:namePrefix` to this.
 */
export const LEGACY_NAME_PREFIX = "orion";
