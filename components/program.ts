import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, CONFIG_NAMESPACE, ConfigError, parseConfig, SECRET_CONFIG_KEYS } from "../model/config";
import { endpoints } from "../model/addresses";
import { committedLock, type ImageLock } from "../model/images";
import { defaultNamePrefix } from "../model/names";
import { plan, type Plan } from "../model/plan";
import { DB_NAME, DB_USER } from "../model/render/service-configs";
import { readDeployed, type Deployed } from "./deployed";
import { deployOrder } from "../model/deploy-order";
import { OrionPlatform } from "./platform";
import type { OrionSettings } from "./platform-args";
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
  release: {
    image: string;
    ref: pulumi.Output<string>;
    migrateCommand?: string;
    order: string[];
    servers: Record<string, string>;
  };
  findings: string[];
}

function databaseUrls(planned: Plan): OrionOutputs["database"] {
  const url = (e: { host: string; port: number } | undefined) =>
    e ? `postgresql://${DB_USER}@${e.host}:${e.port}/${DB_NAME}` : "";
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
    throw new pulumi.RunError(
      `${CONFIG_NAMESPACE}:appSecrets is not a map; set each secret with \`pulumi config set --secret --path '${CONFIG_NAMESPACE}:appSecrets.SECRET_KEY' <value>\``,
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new pulumi.RunError(`${CONFIG_NAMESPACE}:appSecrets is not a map of names to values`);
  return Object.keys(parsed).sort();
}

/**
 * Reads `orion:*` config, plans the stage and builds it. `stack.ts`, the
 * program `pulumi up` runs, exports what this returns. `deployed` says what
 * exists already (this stack's last outputs, the project's SSH keys); it is
 * read before any resource is registered. `lock` is the committed
 * images.lock.json; offline runs pass one of their own.
 */
export async function orionProgram(
  read: () => Promise<Deployed> = readDeployed,
  lock: ImageLock = committedLock(),
): Promise<OrionOutputs> {
  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  const raw = Object.fromEntries(
    CONFIG_KEYS.flatMap((key) => (cfg.get(key) === undefined ? [] : [[key, cfg.get(key)]])),
  );
  const appSecrets = appSecretNames();
  const { config } = planOrExplain(
    raw,
    SECRET_CONFIG_KEYS.filter((key) => cfg.getSecret(key) !== undefined),
    appSecrets,
  );
  // The backup keys are required only where `pulumi up` goes ahead: without orion:backupBucket it stops (a blocking finding).
  const backupSecrets = config.databaseBackups.bucket
    ? {
        backupAccessKey: cfg.requireSecret("backupAccessKey"),
        backupSecretKey: cfg.requireSecret("backupSecretKey"),
        backupPassphrase: cfg.requireSecret("backupPassphrase"),
      }
    : {};

  const deployed = await read();
  // This program's prefix defaults to project and stack, not to the component's name ("orion"), which
  // only a stack deployed before prefixes should use (orion:namePrefix "orion", model/names.ts).
  const namePrefix = config.namePrefix ?? defaultNamePrefix(pulumi.getProject(), pulumi.getStack());
  if (deployed.beforePrefixes && deployed.servers.app && Object.keys(deployed.servers).length === 1) {
    void pulumi.log.warn(
      `the app server was created before placement groups: it stays out of ${namePrefix}-spread until you add it once (README: "Upgrading a stack deployed before this version"); ` +
        `servers created from now on are in the group from the start`,
    );
  }

  const platform = new OrionPlatform("orion", {
    // Pulumi hands scalars over as text ("4", "true", JSON); the platform validates them with parseConfig, which reads those forms, as it did above.
    ...(raw as OrionSettings),
    namePrefix,
    secrets: {
      dbPassword: cfg.requireSecret("dbPassword"),
      flowerPassword: cfg.requireSecret("flowerPassword"),
      grafanaPassword: cfg.requireSecret("grafanaPassword"),
      registryPassword: cfg.getSecret("registryPassword"),
      sshPrivateKey: cfg.getSecret("sshPrivateKey"),
      smtpPassword: cfg.getSecret("smtpPassword"),
      alertWebhookUrl: cfg.getSecret("alertWebhookUrl"),
      watchdogUrl: cfg.getSecret("watchdogUrl"),
      ...backupSecrets,
      // One secret output per name: the names are plain (they reach the compose files), the values are not.
      ...(appSecrets.length > 0
        ? {
            appSecrets: Object.fromEntries(
              appSecrets.map((name) => [
                name,
                cfg.requireSecretObject<Record<string, unknown>>("appSecrets").apply((all) => String(all[name])),
              ]),
            ),
          }
        : {}),
    },
    deployed,
    imageLock: lock,
    // The names this program has always given its children (`app`, `pgdata`): existing stacks keep every URN.
    childNames: "by-role",
  });
  await platform.imageDriftChecked;
  // The platform's plan: the same as above, with the image lock's findings.
  const planned = platform.plan;
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
      order: deployOrder(planned).deploySequence,
      servers: Object.fromEntries(
        planned.servers.flatMap((s) => {
          const line = describeRelease(
            planned.releases.find((r) => r.server === s.name)!,
            s,
          );
          return line ? [[s.name, line]] : [];
        }),
      ),
    },
    findings: planned.findings.map((f) => `${f.severity}: ${f.key} ${f.message}`),
  };
}
