import * as docker from "@pulumi/docker";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { NETWORK_CIDR, SUBNET_CIDR } from "../model/addresses";
import { NETWORK_ZONE } from "../model/catalog";
import { LOAD_BALANCER_IP } from "../model/ingress";
import type { OrionConfig } from "../model/config";
import type { Plan } from "../model/plan";
import { registryHostOf } from "../model/render/deploy-script";
import { releasesPgdata } from "../model/render/server-deployment";
import { sshRules, webRules } from "./firewall";
import { resolveDigests } from "./images";
import { ApiLoadBalancer } from "./load-balancer";
import type { OrionPlatformArgs } from "./platform-args";
import { refuseBlockingFindings, resolvePlatformArgs } from "./platform-validation";
import { OrionServer } from "./server";
import { PLATFORM_TYPE } from "./tokens";

/**
 * Everything one Orion stage runs on Hetzner. Every child is named by role
 * (`app`, `db`, `pgdata`, `private`), so switching `orion:stage` keeps the URN
 * of each resource the two stages share and changes it in place.
 */
export class OrionPlatform extends pulumi.ComponentResource {
  public readonly servers: Record<string, OrionServer> = {};
  public readonly loadBalancer?: ApiLoadBalancer;
  /** The plan the platform is built from: servers, containers and limits, connections, cost, findings. */
  public readonly plan: Plan;
  /** The settings after validation, with every default applied. */
  public readonly config: OrionConfig;

  constructor(name: string, platformArgs: OrionPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated and planned before anything is registered: a refused platform leaves nothing in the stack.
    const args = resolvePlatformArgs(name, platformArgs);
    refuseBlockingFindings(args.plan);
    super(PLATFORM_TYPE, name, {}, opts);
    const { plan, config, childName: child, hetznerName: named } = args;
    this.plan = plan;
    this.config = config;
    const parent = { parent: this };

    const sshKeys = config.sshPublicKeys.map((publicKey, i) => new hcloud.SshKey(child(`operator-${i + 1}`), { name: named(`operator-${i + 1}`), publicKey }, parent));
    const network = new hcloud.Network(child("private"), { name: named("private"), ipRange: NETWORK_CIDR, deleteProtection: true }, { ...parent, protect: true });
    const subnet = new hcloud.NetworkSubnet(child("private"), { networkId: network.id.apply(Number), type: "cloud", networkZone: NETWORK_ZONE[plan.location], ipRange: SUBNET_CIDR }, parent);
    const sshFirewall = new hcloud.Firewall(child("ssh"), { name: named("ssh"), rules: sshRules(config.adminCidrs) }, parent);
    const webFirewall = plan.servers.some((s) => s.servesHttp) ? new hcloud.Firewall(child("web"), { name: named("web"), rules: webRules() }, parent) : undefined;
    const placement = plan.servers.length > 1 ? new hcloud.PlacementGroup(child("spread"), { name: named("spread"), type: "spread" }, parent) : undefined;

    const volumes = Object.fromEntries(
      plan.volumes.map((v) => [
        v.server,
        new hcloud.Volume(child(v.name), { name: named(v.name), size: v.sizeGb, location: plan.location, format: "ext4", deleteProtection: true }, { ...parent, protect: true }),
      ]),
    );

    const registry = registryHostOf(config.appImage);
    const dockerProvider =
      registry && config.registryUsername
        ? new docker.Provider(child("registry"), { registryAuth: [{ address: registry, username: config.registryUsername, password: args.secrets.apply((s) => s.registryPassword ?? "") }] }, parent)
        : undefined;
    const digests = resolveDigests(plan.servers.flatMap((s) => [...s.services.map((x) => x.image), ...(s.caddy ? [s.caddy.image] : [])]), dockerProvider, this);

    // Deploys start once every server is on the private network and has its volume,
    // since services connect across servers from their first start.
    let markReady: (resources: pulumi.Resource[]) => void = () => undefined;
    const ready = new Promise<pulumi.Resource[]>((resolve) => (markReady = resolve));
    // Until scale the database and its volume live on the app server. Where they live elsewhere, the
    // volume attaches only after the app server has stopped its old database and released the volume.

    let markReleased: (resources: pulumi.Resource[]) => void = () => undefined;
    const released = new Promise<pulumi.Resource[]>((resolve) => (markReleased = resolve));
    for (const server of plan.servers) {
      const volume = plan.volumes.find((v) => v.server === server.name);
      this.servers[server.name] = new OrionServer(
        child(server.name),
        {
          plan,
          server,
          location: plan.location,
          hetznerName: named(server.name),
          sshKeyIds: sshKeys.map((k) => k.id),
          sshPublicKeys: config.sshPublicKeys,
          firewallIds: [sshFirewall, ...(server.servesHttp && webFirewall ? [webFirewall] : [])].map((f) => f.id.apply(Number)),
          placementGroupId: placement?.id.apply(Number),
          subnetId: subnet.id,
          pgdataVolume: volume ? { name: child(volume.name), id: volumes[server.name].id.apply(Number) } : undefined,
          digests,
          secrets: args.secrets,
          sshPrivateKey: args.sshPrivateKey,
          backups: config.backups,
          appImage: config.appImage,
          receivers: { email: config.alertEmail, webhook: args.alertWebhook, watchdog: config.watchdogWebhook === true },
          deployAfter: ready,
          attachAfter: volume?.name === "pgdata" && server.role !== "app" ? released : undefined,
          releasesPgdata: releasesPgdata(plan, server),
        },
        parent,
      );
    }
    markReady(Object.values(this.servers).flatMap((s) => s.readyForDeploy));
    markReleased(this.servers.app?.pgdataRelease ? [this.servers.app.pgdataRelease] : []);

    if (plan.loadBalancer) {
      this.loadBalancer = new ApiLoadBalancer(
        child(plan.loadBalancer.name),
        {
          balancer: plan.loadBalancer,
          location: plan.location,
          subnetId: subnet.id,
          privateIp: LOAD_BALANCER_IP,
          targets: plan.loadBalancer.targets.map((t) => ({ name: t, serverId: this.servers[t].server.id, attachment: this.servers[t].privateNetwork })),
          domain: config.domain,
          namePrefix: args.namePrefix,
        },
        parent,
      );
    }
    this.registerOutputs({});
  }
}
