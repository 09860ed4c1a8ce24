import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { NETWORK_CIDR, SUBNET_CIDR } from "../model/addresses";
import { NETWORK_ZONE } from "../model/catalog";
import { LOAD_BALANCER_IP } from "../model/ingress";
import type { OrionConfig } from "../model/config";
import { deployOrder } from "../model/deploy-order";
import { hetznerName, STACK_LABEL } from "../model/names";
import { placementGroupOf } from "../model/placement";
import { lockedDigests, planImages } from "../model/images";
import type { Plan } from "../model/plan";
import { imageRef } from "../model/render/compose";
import { releasesPgdata } from "../model/render/server-deployment";
import { planSshKeys } from "../model/ssh-keys";
import { appImageDigest } from "./app-image";
import { checkImageDrift } from "./image-drift";
import { sshRules, webRules } from "./firewall";
import { ApiLoadBalancer } from "./load-balancer";
import type { OrionPlatformArgs } from "./platform-args";
import { refuseBlockingFindings, resolvePlatformArgs } from "./platform-validation";
import { OrionServer } from "./server";
import { PLATFORM_TOKEN } from "./tokens";

/**
 * Everything one Orion stage runs on Hetzner. Every child is named by role
 * (`app`, `db`, `pgdata`, `private`), so switching `orion:stage` keeps the URN
 * of each resource the two stages share and changes it in place.
 */
export class OrionPlatform extends pulumi.ComponentResource {
  public readonly servers: Record<string, OrionServer> = {};
  public readonly loadBalancer?: ApiLoadBalancer;
  /** orion:appImage as the compose files pin it (with the digest the registry resolved). */
  public readonly appImageRef: pulumi.Output<string>;
  /** The plan the platform is built from: servers, containers and limits, connections, cost, findings. */
  public readonly plan: Plan;
  /** The settings after validation, with every default applied. */
  public readonly config: OrionConfig;
  /** Settles once a preview has compared the locked digests with their registries (`imageDriftCheck`) and warned of any drift. */
  public readonly imageDriftChecked: Promise<void>;

  constructor(name: string, platformArgs: OrionPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated and planned before anything is registered: a refused platform leaves nothing in the stack.
    const args = resolvePlatformArgs(name, platformArgs);
    refuseBlockingFindings(args.plan);
    super(PLATFORM_TOKEN, name, {}, opts);
    const { plan, config, childName: child } = args;
    this.plan = plan;
    this.config = config;
    const parent = { parent: this };

    const prefix = args.namePrefix;
    const named = (role: string) => hetznerName(prefix, role);
    const labels = { [STACK_LABEL]: prefix };
    // Keys Hetzner already has are used as they are; only the others are created (model/ssh-keys.ts).
    const sshKeyIds = planSshKeys(
      config.sshPublicKeys,
      args.deployed.sshKeys,
      prefix,
      args.deployed.beforePrefixes,
    ).map((k) =>
      k.action === "reuse"
        ? pulumi.output(k.id)
        : new hcloud.SshKey(child(k.resourceName), { name: k.name, publicKey: k.publicKey, labels: k.labels }, parent)
            .id,
    );
    const network = new hcloud.Network(
      child("private"),
      { name: named("private"), ipRange: NETWORK_CIDR, deleteProtection: true },
      { ...parent, protect: true },
    );
    const subnet = new hcloud.NetworkSubnet(
      child("private"),
      {
        networkId: network.id.apply(Number),
        type: "cloud",
        networkZone: NETWORK_ZONE[plan.location],
        ipRange: SUBNET_CIDR,
      },
      parent,
    );
    const sshFirewall = new hcloud.Firewall(
      child("ssh"),
      { name: named("ssh"), rules: sshRules(config.adminCidrs) },
      parent,
    );
    const webFirewall = plan.servers.some((s) => s.servesHttp)
      ? new hcloud.Firewall(child("web"), { name: named("web"), rules: webRules() }, parent)
      : undefined;
    // Every server is created in its group (model/placement.ts), launch's single server too.
    const placementGroups = Object.fromEntries(
      plan.placementGroups.map((g) => [
        g.name,
        new hcloud.PlacementGroup(child(g.name), { name: named(g.name), type: "spread", labels }, parent),
      ]),
    );

    const volumes = Object.fromEntries(
      plan.volumes.map((v) => [
        v.server,
        new hcloud.Volume(
          child(v.name),
          { name: named(v.name), size: v.sizeGb, location: plan.location, format: "ext4", deleteProtection: true },
          { ...parent, protect: true },
        ),
      ]),
    );

    // The platform images' digests come from the image lock (images.lock.json), so an unchanged config deploys
    // unchanged images; only the operator's app image is looked up by its tag (components/app-image.ts).
    const digests = appImageDigest(config, args.secrets, this, child("registry")).apply((app) => ({
      ...lockedDigests(args.imageLock),
      ...app,
    }));
    this.appImageRef = digests.apply((d) => imageRef(config.appImage, d));

    // In phases, so that each step waits only for what it needs (model/deploy-order.ts): every server first,
    // then the volumes' attachments, then the deploys.
    const order = deployOrder(plan, Object.keys(args.deployed.servers));
    for (const server of plan.servers) {
      this.servers[server.name] = new OrionServer(
        child(server.name),
        {
          plan,
          server,
          location: plan.location,
          hetznerName: named(server.name),
          labels,
          previous: args.deployed.servers[server.name],
          sshKeyIds,
          sshPublicKeys: config.sshPublicKeys,
          firewallIds: [sshFirewall, ...(server.servesHttp && webFirewall ? [webFirewall] : [])].map((f) =>
            f.id.apply(Number),
          ),
          placementGroupId: placementGroups[placementGroupOf(plan.placementGroups, server.name)].id.apply(Number),
          subnetId: subnet.id,
          digests,
          secrets: args.secrets,
          sshPrivateKey: args.sshPrivateKey,
          backups: config.backups,
          appImage: config.appImage,
          privateAppImage: Boolean(config.registryUsername),
          receivers: {
            email: config.alertEmail,
            webhook: args.alertWebhook,
            watchdog: config.watchdogWebhook === true,
          },
          appEnv: config.appEnv,
          releasesPgdata: releasesPgdata(plan, server),
        },
        parent,
      );
    }
    // Until scale the database and its volume live on the app server. When the database moves, the volume
    // attaches only after the server that held it has stopped its database and released the volume.
    for (const volume of plan.volumes) {
      const move = volume.name === "pgdata" && order.pgdataMove?.attachWaitsForRelease ? order.pgdataMove : undefined;
      const releasedBy = move ? this.servers[move.releasedBy].pgdataRelease : undefined;
      this.servers[volume.server].attachPgdata(
        { name: child(volume.name), id: volumes[volume.server].id.apply(Number) },
        releasedBy ? [releasedBy] : [],
      );
    }
    // Services connect across servers from their first start: a deploy waits for the servers it connects to to be
    // on the private network, and for the deploys its release follows (model/release.ts).
    for (const name of order.deploySequence) {
      const network = order.deployWaitsForNetworkOf[name].flatMap((other) => this.servers[other].readyForDeploy);
      const deploys = order.deployWaitsForDeployOf[name].flatMap((other) => this.servers[other].deploy ?? []);
      this.servers[name].deployAfter([...network, ...deploys]);
    }

    if (plan.loadBalancer) {
      this.loadBalancer = new ApiLoadBalancer(
        child(plan.loadBalancer.name),
        {
          balancer: plan.loadBalancer,
          location: plan.location,
          subnetId: subnet.id,
          privateIp: LOAD_BALANCER_IP,
          targets: plan.loadBalancer.targets.map((t) => ({
            name: t,
            serverId: this.servers[t].server.id,
            attachment: this.servers[t].privateNetwork,
          })),
          domain: config.domain,
          namePrefix: prefix,
        },
        parent,
      );
    }
    // Only a preview asks the registries, and only to compare: the digests deployed are the lock's.
    this.imageDriftChecked =
      config.imageDriftCheck && pulumi.runtime.isDryRun()
        ? checkImageDrift(args.imageLock, planImages(plan))
        : Promise.resolve();
    this.registerOutputs(this.imageDriftChecked.then(() => ({})));
  }
}
