import * as command from "@pulumi/command";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { privateIp } from "../model/addresses";
import { BOOT_BUDGET_SECONDS, dialErrorLimitFor } from "../model/boot";
import { budgetRecord } from "../model/budget-record";
import type { Plan, PlannedServer } from "../model/plan";
import { renderCloudInit, SERVER_IMAGE } from "../model/render/cloud-init";
import { imageRef, publishedPorts, type ImageDigests } from "../model/render/compose";
import {
  DEPLOY_USER,
  renderDeployScript,
  renderPullScript,
  renderReleasePgdataScript,
} from "../model/render/deploy-script";
import { renderCloudInitWaitScript, renderStopForRescaleScript } from "../model/render/host-steps";
import type { AlertReceivers } from "../model/render/monitoring";
import { deployScriptOptions } from "../model/render/server-deployment";
import { renderEnvFile, renderServerFiles, type StackSecrets } from "../model/render/server-files";
import type { DeployedServer } from "./deployed";
import { SERVER_TOKEN } from "./tokens";

export interface OrionServerArgs {
  plan: Plan;
  server: PlannedServer;
  location: string;
  /** The server's name at Hetzner (`<namePrefix>-app`, see model/names.ts), unique in the Hetzner project. */
  hetznerName: string;
  /** Labels besides role and name: the stack's, for CI's temporary SSH firewall. */
  labels: Record<string, string>;
  /** IDs of the stack's SSH keys, installed on root at creation. */
  sshKeyIds: pulumi.Input<string>[];
  /** Public keys the deploy command installs for the deploy user. */
  sshPublicKeys: string[];
  firewallIds: pulumi.Input<number>[];
  /** The spread group the server is created in (model/placement.ts). */
  placementGroupId: pulumi.Input<number>;
  /** The server as the stack's last update left it; absent for a new server. */
  previous?: DeployedServer;
  subnetId: pulumi.Input<string>;
  /** Image digests that pin every image in the compose file. */
  digests: pulumi.Input<ImageDigests>;
  secrets: pulumi.Output<StackSecrets>;
  /** The deploy key (secret `orion:sshPrivateKey`); the SSH agent is used when absent. */
  sshPrivateKey?: pulumi.Output<string>;
  backups: boolean;
  appImage: string;
  /** The app image needs the registry login that the deploy script does (`orion:registryUsername` is set), so it is not pulled ahead. */
  privateAppImage?: boolean;
  /** Where Alertmanager sends alerts, on the server that runs it. */
  receivers: AlertReceivers;
  /** orion:appEnv: plain settings for the app, sent in the env file with its secrets. */
  appEnv?: Record<string, string>;
  /** Stop a database this server ran in an earlier stage and release its volume (the app server from scale on). */
  releasesPgdata?: boolean;
}

/**
 * One Hetzner server and the compose project on it. Children are named after
 * the server (`app`, `app-deploy`), never after the stage, so a stage change
 * updates them in place.
 *
 * Built in phases by its platform, which knows who waits for whom
 * (model/deploy-order.ts): the constructor creates the server and what runs
 * on it alone (private network, cloud-init, pulls, the pgdata release);
 * `attachPgdata` and `deployAfter` follow once every server exists.
 */
export class OrionServer extends pulumi.ComponentResource {
  public readonly server: hcloud.Server;
  public readonly privateNetwork: hcloud.ServerNetwork;
  /** The compose project's deploy, created by `deployAfter`. */
  public deploy?: command.remote.Command;
  /** The pgdata volume's attachment, created by `attachPgdata` on the server that runs the database. */
  public pgdataAttachment?: hcloud.VolumeAttachment;
  public readonly ipv4Address: pulumi.Output<string>;
  public readonly privateIp: string;
  /** What other servers' deploys wait for: this server on the private network. */
  public readonly readyForDeploy: pulumi.Resource[];
  /** The step that released the pgdata volume, where this server held it in an earlier stage. */
  public readonly pgdataRelease?: command.remote.Command;
  /** Stops the compose project before Hetzner powers the server off for a new type. */
  public readonly stopForRescale?: command.remote.Command;
  /** Waits (as root) until cloud-init has set up the server; every other step on it waits for this. */
  public readonly cloudInit: command.remote.Command;
  /** Pulls the public images ahead of the deploy. */
  public readonly pull: command.remote.Command;
  private readonly name: string;
  private readonly args: OrionServerArgs;
  private readonly connection: command.types.input.remote.ConnectionArgs;

  constructor(name: string, args: OrionServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(SERVER_TOKEN, name, {}, opts);
    this.name = name;
    this.args = args;
    const { server } = args;
    this.privateIp = privateIp(server);
    // The SSH agent of whoever runs `pulumi up` signs in, or the secret orion:sshPrivateKey.
    const key = args.sshPrivateKey ? { privateKey: args.sshPrivateKey } : {};
    // Long enough for a boot after creation or after a rescale (model/boot.ts).
    const bootDials = dialErrorLimitFor(BOOT_BUDGET_SECONDS);

    // Hetzner powers the server off hard to change its type (model/rescale.ts): stop the
    // compose project first, on the address the last update left, before the server is touched.
    if (args.previous && args.previous.type !== server.type) {
      this.stopForRescale = new command.remote.Command(
        `${name}-stop-for-rescale`,
        {
          connection: { host: args.previous.ipv4Address, user: DEPLOY_USER, dialErrorLimit: bootDials, ...key },
          create: renderStopForRescaleScript(server.name, args.previous.type, server.type),
          triggers: [args.previous.type, server.type],
          addPreviousOutputInEnv: false,
        },
        { parent: this },
      );
    }

    this.server = new hcloud.Server(
      name,
      {
        name: args.hetznerName,
        serverType: server.type,
        image: SERVER_IMAGE,
        location: args.location,
        userData: renderCloudInit(),
        sshKeys: args.sshKeyIds,
        firewallIds: args.firewallIds,
        placementGroupId: args.placementGroupId,
        // Keep the disk at its original size on rescale, so a later downgrade stays possible,
        // unless orion:keepDisk.<server> is false (model/disk.ts).
        keepDisk: server.disk.keepDisk,
        // Hetzner's backups skip volumes; the plan buys them only where data sits on the server's own disk.
        backups: server.serverBackups,
        deleteProtection: server.holdsData,
        rebuildProtection: server.holdsData,
        labels: { "orion-role": server.role, "orion-server": server.name, ...args.labels },
        publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
        // CI's temporary SSH firewall is applied by label while a deploy runs; without this the
        // provider would try to detach it from a server it updates (terraform-provider-hcloud
        // v1.68.0 internal/server/resource.go:247-258, 645-676).
        ignoreRemoteFirewallIds: true,
      },
      {
        parent: this,
        protect: server.holdsData,
        // These fields replace the server, and its disk with it. None of them should ever
        // change; if one does (a new base image, new keys), the server keeps running as it is.
        // The placement group is set at creation only: the provider cannot add or remove a
        // running server (internal/server/resource.go:1369-1403), so later changes are ignored.
        ignoreChanges: ["image", "location", "userData", "sshKeys", "placementGroupId"],
        dependsOn: this.stopForRescale ? [this.stopForRescale] : [],
      },
    );

    this.privateNetwork = new hcloud.ServerNetwork(
      `${name}-private`,
      { serverId: this.server.id.apply(Number), subnetId: args.subnetId, ip: this.privateIp },
      { parent: this },
    );

    // Root has the stack's keys from Hetzner before sshd starts; the deploy user gets them at
    // the end of cloud-init, so the wait logs in as root and names what it waited for.
    this.cloudInit = new command.remote.Command(
      `${name}-cloud-init`,
      {
        connection: { host: this.server.ipv4Address, user: "root", dialErrorLimit: bootDials, ...key },
        create: renderCloudInitWaitScript(server.name),
        addPreviousOutputInEnv: false,
      },
      { parent: this },
    );
    const connection = { host: this.server.ipv4Address, user: DEPLOY_USER, dialErrorLimit: bootDials, ...key };
    this.connection = connection;
    const afterCloudInit = { parent: this, dependsOn: [this.cloudInit] };
    if (args.releasesPgdata) {
      this.pgdataRelease = new command.remote.Command(
        `${name}-release-pgdata`,
        { connection, create: renderReleasePgdataScript(), addPreviousOutputInEnv: false },
        afterCloudInit,
      );
    }

    this.readyForDeploy = [this.privateNetwork];

    // Public images only, the app image among them unless it is private: that one needs the registry login the deploy script does.
    const publicImages = pulumi
      .output(args.digests)
      .apply((digests) =>
        [...server.services.map((s) => s.image), ...(server.caddy ? [server.caddy.image] : [])]
          .filter((image) => !args.privateAppImage || image !== args.appImage)
          .map((image) => imageRef(image, digests)),
      );
    this.pull = new command.remote.Command(
      `${name}-pull`,
      { connection, create: publicImages.apply(renderPullScript), addPreviousOutputInEnv: false },
      afterCloudInit,
    );

    this.ipv4Address = this.server.ipv4Address;
    this.registerOutputs({ ipv4Address: this.ipv4Address, privateIp: this.privateIp });
  }

  /** Attaches the database's volume once `after` is done: the step that released it on the server that held it before. */
  public attachPgdata(
    volume: { name: string; id: pulumi.Input<number> },
    after: pulumi.Resource[],
  ): hcloud.VolumeAttachment {
    this.pgdataAttachment = new hcloud.VolumeAttachment(
      volume.name,
      // Automount off: the deploy command mounts the volume at the same path on every server.
      { volumeId: volume.id, serverId: this.server.id.apply(Number), automount: false },
      // Detach from the old server before attaching here: a volume has one server at a time.
      { parent: this, deleteBeforeReplace: true, dependsOn: after },
    );
    return this.pgdataAttachment;
  }

  /**
   * Deploys the compose project once this server is ready (cloud-init, pulls,
   * its volume) and `others` are done: the other servers' steps it needs, their
   * private network attachments where its containers connect to them.
   */
  public deployAfter(others: pulumi.Resource[]): command.remote.Command {
    const { args, name, connection, pull, pgdataAttachment: attachment } = this;
    const { plan, server } = args;
    const files = pulumi
      .output(args.digests)
      .apply((digests) => renderServerFiles(plan, server, digests, args.receivers));
    // Known at preview (no ID or IP in it), so reviewers and the policy pack see every file before any server exists.
    const script = pulumi
      .all([files, pulumi.output(args.digests)])
      .apply(([f, digests]) =>
        renderDeployScript(
          f,
          deployScriptOptions(plan, server, { appImage: args.appImage, sshPublicKeys: args.sshPublicKeys }, digests),
        ),
      );
    // The env file is built from secrets, so it stays a secret output all the way to stdin.
    const envFile = pulumi.secret(args.secrets.apply((secrets) => renderEnvFile(plan, server, secrets, args.appEnv)));

    const deployDependencies = [
      this.cloudInit,
      ...this.readyForDeploy,
      pull,
      ...(attachment ? [attachment] : []),
      ...(this.pgdataRelease ? [this.pgdataRelease] : []),
      ...others,
    ];
    this.deploy = new command.remote.Command(
      `${name}-deploy`,
      {
        connection,
        create: script,
        stdin: envFile,
        // The server's budget, for the policy pack to judge; a change in it redeploys this server.
        triggers: [budgetRecord(plan, server, publishedPorts(plan, server))],
        // The script, the env file and the budget are the whole input: nothing else reruns the deploy.
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: deployDependencies },
    );
    return this.deploy;
  }
}
