/**
 * What a change does to each resource type the program registers, read off
 * the providers' own sources:
 * - hcloud: terraform-provider-hcloud v1.68.0 (what @pulumi/hcloud 1.41.0
 *   bridges: its SDK documents v1.68.0's load-balancer-type deprecation
 *   fields), paths below under `internal/`. SDKv2 resources mark a field
 *   `ForceNew`, plugin-framework ones `RequiresReplace()`; the bridge turns
 *   both into a replacement (pulumi-terraform-bridge v3.135.0
 *   pkg/tfbridge/provider.go:1136, 1208-1254 for ForceNew, pkg/pf/tfbridge/provider_diff.go:111 for RequiresReplace).
 * - A replacement creates the new resource before deleting the old one: the
 *   engine's default, which neither the bridge (provider.go:1275-1276, provider_diff.go:114-121) nor
 *   pulumi-hcloud (provider/resources.go:66-103 sets no DeleteBeforeReplace)
 *   changes. Only the program's own `deleteBeforeReplace` reverses it.
 * - command: pulumi-command v1.2.1, `triggers` is `replaceOnChanges`
 *   (provider/pkg/provider/common/inputs.go:9-10); any other input change is
 *   an update that runs `update`, else `create`, again
 *   (provider/pkg/provider/remote/commandController.go:62-83).
 *
 * Every field not listed in `replaceOn` changes in place: names and labels
 * of every hcloud resource are updated by an API call.
 */
export type ReplaceImpact =
  /** Replacing it loses data or a machine: a forward stage move must never do it. */
  | "stateful"
  /** Replacing it reruns a step or reconnects something; data is kept. */
  | "harmless";

export interface ReplaceRule {
  /** Input fields (Pulumi names) whose change replaces the resource, each with its source. */
  replaceOn: Record<string, string>;
  impact: ReplaceImpact;
  /** What a replacement does, in the operator's words. */
  replacement: string;
  /** In-place changes worth knowing, with their source. */
  inPlace?: Record<string, string>;
}

const HCLOUD = "terraform-provider-hcloud v1.68.0 internal/";

export const REPLACE_RULES: Record<string, ReplaceRule> = {
  "hcloud:index/server:Server": {
    replaceOn: {
      image: `${HCLOUD}server/resource.go:54-58 (ForceNew)`,
      location: `${HCLOUD}server/resource.go:67-70 (ForceNew)`,
      userData: `${HCLOUD}server/resource.go:87-90 (ForceNew)`,
      sshKeys: `${HCLOUD}server/resource.go:101-113 (ForceNew)`,
    },
    impact: "stateful",
    replacement: "a new machine: the old server and its disk are deleted",
    inPlace: {
      serverType: `powers the server off hard, changes the type, Hetzner starts it again (${HCLOUD}server/resource.go:587-611)`,
      keepDisk: `read only at the next type change: upgrade_disk = !keep_disk (${HCLOUD}server/resource.go:589-604)`,
      placementGroupId: `adds the server to a group (Hetzner: only while it is off) or refuses to remove a running one (${HCLOUD}server/resource.go:717-722, 1369-1403)`,
      publicNets: `powers the server off (${HCLOUD}server/resource.go:736-760)`,
      firewallIds: `attaches and detaches firewalls, remote ones too unless ignoreRemoteFirewallIds (${HCLOUD}server/resource.go:247-258, 645-676)`,
    },
  },
  "hcloud:index/serverNetwork:ServerNetwork": {
    replaceOn: {
      serverId: `${HCLOUD}server/resource_network.go:73-78 (RequiresReplace)`,
      networkId: `${HCLOUD}server/resource_network.go:80-87 (RequiresReplace)`,
      subnetId: `${HCLOUD}server/resource_network.go:89-94 (RequiresReplace)`,
      ip: `${HCLOUD}server/resource_network.go:96-103 (RequiresReplace)`,
    },
    impact: "harmless",
    replacement: "the server leaves the private network and joins it again",
  },
  "hcloud:index/volume:Volume": {
    replaceOn: { location: `${HCLOUD}volume/resource.go:42-46 (ForceNew)` },
    impact: "stateful",
    replacement: "a new, empty volume: the data on the old one is deleted with it",
    inPlace: { size: `grows the volume; Hetzner never shrinks one (${HCLOUD}volume/resource.go:288-302)` },
  },
  "hcloud:index/volumeAttachment:VolumeAttachment": {
    replaceOn: {
      volumeId: `${HCLOUD}volume/resource_attachment.go:31-35 (ForceNew)`,
      serverId: `${HCLOUD}volume/resource_attachment.go:36-40 (ForceNew)`,
    },
    impact: "harmless",
    replacement:
      "the volume is detached, then attached to the new server (the program deletes first); its data stays on it",
  },
  "hcloud:index/network:Network": {
    replaceOn: { ipRange: `${HCLOUD}network/resource.go:37-40 (ForceNew)` },
    impact: "stateful",
    replacement: "a new private network: every server's private IP attachment goes with the old one",
  },
  "hcloud:index/networkSubnet:NetworkSubnet": {
    replaceOn: {
      networkId: `${HCLOUD}network/resource_subnet.go:35-38 (ForceNew)`,
      type: `${HCLOUD}network/resource_subnet.go:40-43 (ForceNew)`,
      networkZone: `${HCLOUD}network/resource_subnet.go:50-53 (ForceNew)`,
      ipRange: `${HCLOUD}network/resource_subnet.go:55-58 (ForceNew)`,
      vswitchId: `${HCLOUD}network/resource_subnet.go:64-67 (ForceNew)`,
    },
    impact: "stateful",
    replacement: "a new subnet: every server's attachment to the old one is replaced with it",
  },
  "hcloud:index/firewall:Firewall": {
    replaceOn: {},
    impact: "harmless",
    replacement: "never replaced: name, rules and labels change in place",
    inPlace: { rules: `replaces the rule set at once (${HCLOUD}firewall/resource.go:276-360)` },
  },
  "hcloud:index/placementGroup:PlacementGroup": {
    replaceOn: {},
    impact: "harmless",
    replacement:
      "never replaced: name and labels change in place; `spread` is the only type (placementgroup/resource.go:50-62, 119-165)",
  },
  "hcloud:index/sshKey:SshKey": {
    replaceOn: { publicKey: `${HCLOUD}sshkey/resource.go:68-74 (RequiresReplace)` },
    impact: "harmless",
    replacement:
      "a new key is created before the old one is deleted; its name changes with the key, so Hetzner accepts both for that moment; servers keep the keys they have",
  },
  "hcloud:index/loadBalancer:LoadBalancer": {
    replaceOn: {
      location: `${HCLOUD}loadbalancer/resource.go:48-51 (ForceNew)`,
      networkZone: `${HCLOUD}loadbalancer/resource.go:54-57 (ForceNew)`,
    },
    impact: "stateful",
    replacement: "a new load balancer with a new public IP: DNS must follow",
  },
  "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork": {
    replaceOn: {
      loadBalancerId: `${HCLOUD}loadbalancer/resource_network.go:72-77 (RequiresReplace)`,
      networkId: `${HCLOUD}loadbalancer/resource_network.go:79-85 (RequiresReplace)`,
      subnetId: `${HCLOUD}loadbalancer/resource_network.go:88-93 (RequiresReplace)`,
      ip: `${HCLOUD}loadbalancer/resource_network.go:95-102 (RequiresReplace)`,
    },
    impact: "harmless",
    replacement: "the load balancer leaves the private network and joins it again",
  },
  "hcloud:index/loadBalancerService:LoadBalancerService": {
    replaceOn: {
      loadBalancerId: `${HCLOUD}loadbalancer/resource_service.go:39-42 (ForceNew)`,
      protocol: `${HCLOUD}loadbalancer/resource_service.go:44-47 (ForceNew)`,
      listenPort: `${HCLOUD}loadbalancer/resource_service.go:54-56 (ForceNew)`,
    },
    impact: "harmless",
    replacement: "the listener is recreated: requests on that port fail for the moment between",
  },
  "hcloud:index/loadBalancerTarget:LoadBalancerTarget": {
    replaceOn: {
      loadBalancerId: `${HCLOUD}loadbalancer/resource_target.go:52-55 (ForceNew)`,
      serverId: `${HCLOUD}loadbalancer/resource_target.go:57-61 (ForceNew)`,
      labelSelector: `${HCLOUD}loadbalancer/resource_target.go:63-67 (ForceNew)`,
      ip: `${HCLOUD}loadbalancer/resource_target.go:69-74 (ForceNew)`,
    },
    impact: "harmless",
    replacement:
      "the target is removed and added again; the load balancer sends it traffic once its health check passes",
  },
  "hcloud:index/managedCertificate:ManagedCertificate": {
    replaceOn: { domainNames: `${HCLOUD}certificate/resource.go:147-150 (ForceNew, ManagedResource)` },
    impact: "harmless",
    replacement: "Hetzner issues a new certificate (its DNS must be at Hetzner) before the old one is deleted",
  },
  "command:remote:Command": {
    replaceOn: { triggers: "pulumi-command v1.2.1 provider/pkg/provider/common/inputs.go:9-10 (replaceOnChanges)" },
    impact: "harmless",
    replacement: "the command runs again; a deploy recreates only the containers whose settings changed",
    inPlace: {
      create: "runs `create` again (no `update` given; provider/pkg/provider/remote/commandController.go:62-83)",
    },
  },
  "pulumi:pulumi:StackReference": {
    replaceOn: {},
    impact: "harmless",
    replacement: "never replaced: the stack's own last outputs, read at every run",
  },
};

/** Fields of `type` whose change, from `before` to `after`, replaces the resource; ignored fields never do. */
export function replacingFields(
  type: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  ignoreChanges: string[] = [],
): string[] {
  const rule = REPLACE_RULES[type];
  if (!rule)
    throw new Error(`no replace rule for ${type}; add one to offline/replace-rules.ts from the provider's source`);
  return Object.keys(rule.replaceOn).filter(
    (f) => !ignoreChanges.includes(f) && JSON.stringify(before[f]) !== JSON.stringify(after[f]),
  );
}
