import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, CONFIG_NAMESPACE, ConfigError, parseConfig, SECRET_CONFIG_KEYS } from "../model/config";
import { endpoints } from "../model/addresses";
import { plan, type Plan } from "../model/plan";
import { DB_NAME, DB_USER } from "../model/render/service-configs";
import { OrionPlatform } from "./platform";
import type { OrionSettings } from "./platform-args";

/** Stack outputs: what an operator looks up after `pulumi up`. */
export interface OrionOutputs {
  stage: string;
  monthlyCostEur: number;
  servers: Record<string, { type: string; ipv4Address: pulumi.Output<string>; privateIp: string; containersMb: number; hostReserveMb: number; ramMb: number; headroomMb: number }>;
  loadBalancerIpv4?: pulumi.Output<string>;
  /** How the API is reached: its URL, the address its domain's A record must hold, or the SSH tunnel without a domain. */
  api: { url?: string; dnsARecord: pulumi.Output<string>; howReached: string };
  /** Connection strings without the password (it is the secret orion:dbPassword), as the app on another server uses them. */
  database: { pooled: string; direct: string; readonly?: string };
  findings: string[];
}

function databaseUrls(planned: Plan): OrionOutputs["database"] {
  const url = (e: { host: string; port: number } | undefined) => (e ? `postgresql://${DB_USER}@${e.host}:${e.port}/${DB_NAME}` : "");
  const [db] = endpoints(planned, "db");
  const [pool] = endpoints(planned, "pgbouncer");
  const [replica] = endpoints(planned, "db-replica");
  return { pooled: url(pool ?? db), direct: url(db), ...(replica ? { readonly: url(replica) } : {}) };
}

function planOrExplain(raw: Record<string, unknown>, secrets: string[]) {
  try {
    const config = parseConfig(raw, { secrets });
    return { config, planned: plan(config) };
  } catch (error) {
    // A config problem is the operator's to fix: show the message, not a stack trace.
    if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
}

/** Reads `orion:*` config, plans the stage and builds it. `stack.ts`, the program `pulumi up` runs, exports what this returns. */
export function orionProgram(): OrionOutputs {
  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  const raw = Object.fromEntries(CONFIG_KEYS.flatMap((key) => (cfg.get(key) === undefined ? [] : [[key, cfg.get(key)]])));
  const { config, planned } = planOrExplain(
    raw,
    SECRET_CONFIG_KEYS.filter((key) => cfg.getSecret(key) !== undefined),
  );
  // The backup keys are required only where `pulumi up` goes ahead: without orion:backupBucket it stops (a blocking finding).
  const backupSecrets = config.databaseBackups.bucket
    ? { backupAccessKey: cfg.requireSecret("backupAccessKey"), backupSecretKey: cfg.requireSecret("backupSecretKey"), backupPassphrase: cfg.requireSecret("backupPassphrase") }
    : {};
  const platform = new OrionPlatform("orion", {
    // Pulumi hands scalars over as text ("4", "true", JSON); the platform validates them with parseConfig, which reads those forms, as it did above.
    ...(raw as OrionSettings),
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
    },
    // The names this program has always given its children (`app`, `pgdata`): existing stacks keep every URN. Hetzner names start with "orion-".
    childNames: "by-role",
  });
  return {
    stage: planned.stage,
    monthlyCostEur: planned.cost.totalEur,
    servers: Object.fromEntries(
      planned.servers.map((s) => [
        s.name,
        { type: s.type, ipv4Address: platform.servers[s.name].ipv4Address, privateIp: platform.servers[s.name].privateIp, containersMb: s.containersMb, hostReserveMb: s.hostReserveMb, ramMb: s.ramMb, headroomMb: s.headroomMb },
      ]),
    ),
    loadBalancerIpv4: platform.loadBalancer?.ipv4Address,
    api: {
      ...(planned.ingress.domain ? { url: `https://${planned.ingress.domain}/` } : {}),
      dnsARecord: platform.loadBalancer?.ipv4Address ?? platform.servers.app.ipv4Address,
      howReached: planned.ingress.howReached,
    },
    database: databaseUrls(planned),
    findings: planned.findings.map((f) => `${f.severity}: ${f.key} ${f.message}`),
  };
}
