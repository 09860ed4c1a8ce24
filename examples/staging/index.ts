import * as pulumi from "@pulumi/pulumi";
import { OrionPlatform, parseConfig, plan, type OrionSettings } from "orion-infra";

// A staging stack of its own, beside production in the same Hetzner project: the growth stage
// with a larger Celery worker, Hetzner names that start with orion-staging, and its secrets in
// this stack's config (`pulumi config set --secret dbPassword ...`).
const config = new pulumi.Config();

const settings: OrionSettings = {
  stage: "growth",
  // The one change from the stage: the worker gets 1,536 MB instead of growth's 1,024 MB.
  memoryLimits: { "celery-worker": "1536m" },
  adminCidrs: config.requireObject<string[]>("adminCidrs"),
  sshPublicKeys: config.requireObject<string[]>("sshPublicKeys"),
  // No public DNS for staging: Caddy serves the API with its own CA.
  domain: "staging.orion-shop.de",
  tlsIssuer: "internal",
  alertEmail: "ops@orion-shop.de",
  smtpFrom: "alerts@orion-shop.de",
  smtpSmarthost: "smtp.orion-shop.de:587",
  backupBucket: "orion-staging-backups",
};

const platform = new OrionPlatform("staging", {
  ...settings,
  namePrefix: "orion-staging",
  secrets: {
    dbPassword: config.requireSecret("dbPassword"),
    flowerPassword: config.requireSecret("flowerPassword"),
    grafanaPassword: config.requireSecret("grafanaPassword"),
    backupAccessKey: config.requireSecret("backupAccessKey"),
    backupSecretKey: config.requireSecret("backupSecretKey"),
    backupPassphrase: config.requireSecret("backupPassphrase"),
  },
});

// The same stage without the override, planned offline, to show what the override costs in headroom.
const stageAsGuided = plan(parseConfig({ ...settings, memoryLimits: {} }));

export const monthlyCostEur = platform.plan.cost.totalEur;
export const appServer = platform.servers.app.ipv4Address;
export const headroomMb = {
  asGuided: stageAsGuided.servers.find((s) => s.name === "app")!.headroomMb,
  staging: platform.plan.servers.find((s) => s.name === "app")!.headroomMb,
};
