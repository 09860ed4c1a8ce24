import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, CONFIG_NAMESPACE, ConfigError, parseConfig, SECRET_CONFIG_KEYS } from "../model/config";
import { endpoints } from "../model/addresses";
import { committedLock, imageLockFindings, lockedDigests, planImages, type ImageLock } from "../model/images";
import { defaultNamePrefix } from "../model/names";
import { plan, type Plan } from "../model/plan";
import { DB_NAME, DB_USER } from "../model/render/service-configs";
import { readDeployed, type Deployed } from "./deployed";
import { checkImageDrift } from "./image-drift";
import { OrionPlatform } from "./platform";
import { describeRelease } from "../model/release";

/** Stack outputs: what an operator looks up after `pulumi up`. */
export interface OrionOutputs {
  stage: string;
  monthlyCostEur: number;
  servers: Record<
    string,
    {
      type: string;
      ipv4Address: pulumi.Output<string>;
      privateIp: string;
      containersMb: number;
      hostReserveMb: number;
      ramMb: number;
      headroomMb: number;
      /** The root disk Hetzner reports: with keepDisk, the size the server was created with. */
      diskGb: pulumi.Output<number>;
    }
  >;
  /** Start of every Hetzner name; its presence also tells a later update that this stack has prefixes. */
  namePrefix: string;
  loadBalancerIpv4?: pulumi.Output<string>;
  /** How the API is reached: its URL, the address its domain's A record must hold, or the SSH tunnel without a domain. */
  api: { url?: string; dnsARecord: pulumi.Output<string>; howReached: string };
  /** Connection strings without the password (it is the secret orion:dbPassword), as the app on another server uses them. */
  database: { pooled: string; direct: string; readonly?: string };
  /** What runs where: the app image (pinned as deployed), each server's release strategy, the deploy order. The history is on the servers (`npm run status`). */
  release: { image: string; ref: pulumi.Output<string>; migrateCommand?: string; order: string[]; servers: Record<string, string> };
  findings: string[];
}

function databaseUrls(planned: Plan): OrionOutputs["database"] {
  const url = (e: { host: string; port: number } | undefined) => (e ? `postgresql://${DB_USER}@${e.host}:${e.port}/${DB_NAME}` : "");
  const [db] = endpoints(planned, "db");
  const [pool] = endpoints(planned, "pgbouncer");
  const [replica] = endpoints(planned, "db-replica");
  return { pooled: url(pool ?? db), direct: url(db), ...(replica ? { readonly: url(replica) } : {}) };
}

function planOrExplain(raw: Record<string, unknown>, secrets: string[], appSecretNames: string[]) {
  try {
    const config = { ...parseConfig(raw, { secrets }), appSecretNames };
    return { config, planned: plan(config) };
  } catch (error) {
    // A config problem is the operator's to fix: show the message, not a stack trace.
    if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
}

/**
 * Names of orion:appSecrets, read as plain text: the names go into the compose
 * files (visible in previews); the values only ever travel in the secret env file.
 */
function appSecretNames(): string[] {
  const raw = pulumi.runtime.allConfig()[`${CONFIG_NAMESPACE}:appSecrets`];
  if (raw === undefined || raw === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new pulumi.RunError(`${CONFIG_NAMESPACE}:appSecrets is not a map; set each secret with \`pulumi config set --secret --path '${CONFIG_NAMESPACE}:appSecrets.SECRET_KEY' <value>\``);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new pulumi.RunError(`${CONFIG_NAMESPACE}:appSecrets is not a map of names to values`);
  return Object.keys(parsed).sort();
}

/** Servers in the order their deploys can run: each after the ones its release waits for. */
function releaseOrder(planned: Plan): string[] {
  const order: string[] = [];
  const visit = (name: string) => {
    if (order.includes(name)) return;
    for (const first of planned.releases.find((r) => r.server === name)?.after ?? []) visit(first);
    order.push(name);
  };
  for (const s of planned.servers) visit(s.name);
  return order;
}

/**
 * Reads `orion:*` config, plans the stage and builds it. `index.ts` exports
 * what this returns. `deployed` says what exists already (this stack's last
 * outputs, the project's SSH keys); it is read before any resource is registered.
 * `lock` is the committed images.lock.json; offline runs pass one of their own.
 */
export async function orionProgram(read: () => Promise<Deployed> = readDeployed, lock: ImageLock = committedLock()): Promise<OrionOutputs> {
  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  const raw = Object.fromEntries(CONFIG_KEYS.flatMap((key) => (cfg.get(key) === undefined ? [] : [[key, cfg.get(key)]])));
  const { config, planned } = planOrExplain(
    raw,
    SECRET_CONFIG_KEYS.filter((key) => cfg.getSecret(key) !== undefined),
    appSecretNames(),
  );
  // The backup keys are required only where `pulumi up` goes ahead: without orion:backupBucket it stops below (a blocking finding).
  const backupSecrets = config.databaseBackups.bucket
    ? pulumi.all([cfg.requireSecret("backupAccessKey"), cfg.requireSecret("backupSecretKey"), cfg.requireSecret("backupPassphrase")])
    : pulumi.output([undefined, undefined, undefined] as (string | undefined)[]);
  const appSecrets = cfg.getSecretObject<Record<string, unknown>>("appSecrets") ?? pulumi.secret({});
  const secrets = pulumi
    .all([cfg.requireSecret("dbPassword"), cfg.requireSecret("flowerPassword"), cfg.requireSecret("grafanaPassword"), cfg.getSecret("registryPassword"), cfg.getSecret("smtpPassword"), cfg.getSecret("alertWebhookUrl"), cfg.getSecret("watchdogUrl"), pulumi.all([backupSecrets, appSecrets])])
    .apply(([dbPassword, flowerPassword, grafanaPassword, registryPassword, smtpPassword, alertWebhookUrl, watchdogUrl, [[backupAccessKey, backupSecretKey, backupPassphrase], app]]) => ({
      dbPassword,
      flowerPassword,
      grafanaPassword,
      registryPassword,
      registryUsername: config.registryUsername,
      smtpPassword,
      alertWebhookUrl,
      watchdogUrl,
      backupAccessKey,
      backupSecretKey,
      backupPassphrase,
      appSecrets: Object.fromEntries(Object.entries(app ?? {}).map(([k, v]) => [k, String(v)])),
    }));
  planned.findings.push(...imageLockFindings(planned, lock));
  for (const finding of planned.findings) pulumi.log.warn(`${finding.key} ${finding.message}`);
  // A preview shows what the placeholders would build; an update must not build it.
  const blocking = planned.findings.filter((f) => f.blocksUp);
  if (blocking.length > 0 && !pulumi.runtime.isDryRun()) {
    throw new pulumi.RunError(`pulumi up stops before changing anything:\n${blocking.map((f) => `  - ${f.key} ${f.message}`).join("\n")}`);
  }
  // Only a preview asks the registries, and only to compare: the digests deployed are the lock's.
  const drift = config.imageDriftCheck && pulumi.runtime.isDryRun() ? checkImageDrift(lock, planImages(planned)) : Promise.resolve();

  const deployed = await read();
  const namePrefix = config.namePrefix ?? defaultNamePrefix(pulumi.getProject(), pulumi.getStack());
  if (deployed.beforePrefixes && deployed.servers.app && Object.keys(deployed.servers).length === 1) {
    pulumi.log.warn(
      `the app server was created before placement groups: it stays out of ${namePrefix}-spread until you add it once (README: "Upgrading a stack deployed before this version"); ` +
        `servers created from now on are in the group from the start`,
    );
  }

  const platform = new OrionPlatform("orion", {
    plan: planned,
    config,
    secrets: pulumi.secret(secrets),
    sshPrivateKey: cfg.getSecret("sshPrivateKey"),
    alertWebhook: cfg.getSecret("alertWebhookUrl") !== undefined,
    namePrefix,
    deployed,
    digests: lockedDigests(lock),
  });
  await drift;
  return {
    stage: planned.stage,
    monthlyCostEur: planned.cost.totalEur,
    servers: Object.fromEntries(
      planned.servers.map((s) => [
        s.name,
        {
          type: s.type,
          ipv4Address: platform.servers[s.name].ipv4Address,
          privateIp: platform.servers[s.name].privateIp,
          containersMb: s.containersMb,
          hostReserveMb: s.hostReserveMb,
          ramMb: s.ramMb,
          headroomMb: s.headroomMb,
          diskGb: platform.servers[s.name].server.primaryDiskSize,
        },
      ]),
    ),
    namePrefix,
    loadBalancerIpv4: platform.loadBalancer?.ipv4Address,
    api: {
      ...(planned.ingress.domain ? { url: `https://${planned.ingress.domain}/` } : {}),
      dnsARecord: platform.loadBalancer?.ipv4Address ?? platform.servers.app.ipv4Address,
      howReached: planned.ingress.howReached,
    },
    database: databaseUrls(planned),
    release: {
      image: config.appImage,
      ref: platform.appImageRef,
      ...(planned.app.migrateCommand ? { migrateCommand: planned.app.migrateCommand } : {}),
      order: releaseOrder(planned),
      servers: Object.fromEntries(planned.servers.flatMap((s) => {
        const line = describeRelease(planned.releases.find((r) => r.server === s.name)!, s);
        return line ? [[s.name, line]] : [];
      })),
    },
    findings: planned.findings.map((f) => `${f.severity}: ${f.key} ${f.message}`),
  };
}
