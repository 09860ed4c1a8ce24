import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { NETWORK_CIDR, SUBNET_CIDR } from "../model/addresses";
import { NETWORK_ZONE } from "../model/catalog";
import { LOAD_BALANCER_IP } from "../model/ingress";
import type { OrionConfig } from "../model/config";
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
import { PLATFORM_TYPE } from "./tokens";

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

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
    super(PLATFORM_TYPE, name, {}, opts);
    const { plan, config, childName: child } = args;
    this.plan = plan;
    this.config = config;
    const parent = { parent: this };

    const prefix = args.namePrefix;
    const named = (role: string) => hetznerName(prefix, role);
    const labels = { [STACK_LABEL]: prefix };
    // Keys Hetzner already has are used as they are; only the others are created (model/ssh-keys.ts).
    const sshKeyIds = planSshKeys(config.sshPublicKeys, args.deployed.sshKeys, prefix, args.deployed.beforePrefixes).map((k) =>
      k.action === "reuse" ? pulumi.output(k.id) : new hcloud.SshKey(child(k.resourceName), { name: k.name, publicKey: k.publicKey, labels: k.labels }, parent).id,
    );
    const network = new hcloud.Network(child("private"), { name: named("private"), ipRange: NETWORK_CIDR, deleteProtection: true }, { ...parent, protect: true });
    const subnet = new hcloud.NetworkSubnet(child("private"), { networkId: network.id.apply(Number), type: "cloud", networkZone: NETWORK_ZONE[plan.location], ipRange: SUBNET_CIDR }, parent);
    const sshFirewall = new hcloud.Firewall(child("ssh"), { name: named("ssh"), rules: sshRules(config.adminCidrs) }, parent);
    const webFirewall = plan.servers.some((s) => s.servesHttp) ? new hcloud.Firewall(child("web"), { name: named("web"), rules: webRules() }, parent) : undefined;
    // Every server is created in its group (model/placement.ts), launch's single server too.
    const placementGroups = Object.fromEntries(plan.placementGroups.map((g) => [g.name, new hcloud.PlacementGroup(child(g.name), { name: named(g.name), type: "spread", labels }, parent)]));

    const volumes = Object.fromEntries(
      plan.volumes.map((v) => [
        v.server,
        new hcloud.Volume(child(v.name), { name: named(v.name), size: v.sizeGb, location: plan.location, format: "ext4", deleteProtection: true }, { ...parent, protect: true }),
      ]),
    );

    // The platform images' digests come from the image lock (images.lock.json), so an unchanged config deploys
    // unchanged images; only the operator's app image is looked up by its tag (components/app-image.ts).
    const digests = appImageDigest(config, args.secrets, this, child("registry")).apply((app) => ({ ...lockedDigests(args.imageLock), ...app }));
    this.appImageRef = digests.apply((d) => imageRef(config.appImage, d));

    // Deploys start once every server is on the private network and has its volume,
    // since services connect across servers from their first start.
    let markReady: (resources: pulumi.Resource[]) => void = () => undefined;
    const ready = new Promise<pulumi.Resource[]>((resolve) => (markReady = resolve));
    // Until scale the database and its volume live on the app server. Where they live elsewhere, the
    // volume attaches only after the app server has stopped its old database and released the volume.

    let markReleased: (resources: pulumi.Resource[]) => void = () => undefined;
    const released = new Promise<pulumi.Resource[]>((resolve) => (markReleased = resolve));
    // Releases go in order (model/release.ts): the database's deploy before its clients', the migration before new app containers, API servers one at a time.
    const deployOf = new Map(plan.servers.map((s) => [s.name, deferred<pulumi.Resource>()]));
    const after = (name: string) => {
      const first = plan.releases.find((r) => r.server === name)?.after ?? [];
      return ready.then(async (others) => [...others, ...(await Promise.all(first.map((n) => deployOf.get(n)!.promise)))]);
    };
    for (const server of plan.servers) {
      const volume = plan.volumes.find((v) => v.server === server.name);
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
          firewallIds: [sshFirewall, ...(server.servesHttp && webFirewall ? [webFirewall] : [])].map((f) => f.id.apply(Number)),
          placementGroupId: placementGroups[placementGroupOf(plan.placementGroups, server.name)].id.apply(Number),
          subnetId: subnet.id,
          pgdataVolume: volume ? { name: child(volume.name), id: volumes[server.name].id.apply(Number) } : undefined,
          digests,
          secrets: args.secrets,
          sshPrivateKey: args.sshPrivateKey,
          backups: config.backups,
          appImage: config.appImage,
          privateAppImage: Boolean(config.registryUsername),
          receivers: { email: config.alertEmail, webhook: args.alertWebhook, watchdog: config.watchdogWebhook === true },
          deployAfter: after(server.name),
          appEnv: config.appEnv,
          attachAfter: volume?.name === "pgdata" && server.role !== "app" ? released : undefined,
          releasesPgdata: releasesPgdata(plan, server),
        },
        parent,
      );
    }
    markReady(Object.values(this.servers).flatMap((s) => s.readyForDeploy));
    for (const [name, server] of Object.entries(this.servers)) deployOf.get(name)!.resolve(server.deploy);
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
          namePrefix: prefix,
        },
        parent,
      );
    }
    // Only a preview asks the registries, and only to compare: the digests deployed are the lock's.
    this.imageDriftChecked = config.imageDriftCheck && pulumi.runtime.isDryRun() ? checkImageDrift(args.imageLock, planImages(plan)) : Promise.resolve();
    this.registerOutputs(this.imageDriftChecked.then(() => ({})));
  }
}
