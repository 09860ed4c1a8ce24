import * as pulumi from "@pulumi/pulumi";
import {
  CONFIG_NAMESPACE,
  ConfigError,
  parseConfig,
  SECRET_CONFIG_KEYS,
  type ConfigProblem,
  type OrionConfig,
} from "../model/config";
import { committedLock, imageLockFindings, type ImageLock } from "../model/images";
import { plan as planStage, type Plan } from "../model/plan";
import type { StackSecrets } from "../model/render/server-files";
import type { Deployed } from "./deployed";
import type { ChildNames, OrionPlatformArgs, OrionSecrets } from "./platform-args";

/** One problem in a platform's args: the field, the value given and what would be accepted. */
export interface PlatformArgsProblem {
  /** The field as the args spell it: `memoryLimits.api`, `secrets.dbPassword`, `namePrefix`. */
  field: string;
  value: unknown;
  message: string;
}

/**
 * Every problem in an `OrionPlatform`'s args at once, before any resource is
 * registered. A `RunError`, so `pulumi up` prints the list without a stack trace.
 */
export class OrionPlatformArgsError extends pulumi.RunError {
  /** In the shape of `pulumi.InputPropertiesError`'s details. */
  readonly errors: { propertyPath: string; reason: string }[];

  constructor(
    readonly platform: string,
    readonly problems: PlatformArgsProblem[],
  ) {
    const lines = problems.map(
      (p) => `${p.field}${p.value === undefined ? "" : ` ${JSON.stringify(p.value)}`} ${p.message}`,
    );
    super(
      `OrionPlatform "${platform}": ${lines.length === 1 ? lines[0] : `${lines.length} problems in its args:\n${lines.map((l) => `  - ${l}`).join("\n")}`}`,
    );
    this.name = "OrionPlatformArgsError";
    this.errors = problems.map((p) => ({ propertyPath: p.field, reason: p.message }));
  }
}

/** What the platform builds from once its args are valid. */
export interface ResolvedPlatform {
  config: OrionConfig;
  plan: Plan;
  secrets: pulumi.Output<StackSecrets>;
  sshPrivateKey?: pulumi.Output<string>;
  /** Is `secrets.alertWebhookUrl` given? Its value stays secret; the config only names the file. */
  alertWebhook: boolean;
  /** A child's Pulumi name for a role (`app`, `private`): part of its URN. */
  childName: (role: string) => string;
  /** Start of every name at Hetzner. */
  namePrefix: string;
  /** What the Hetzner project and the stack's last update already have. */
  deployed: Deployed;
  /** The platform images pinned to digests (model/images.ts). */
  imageLock: ImageLock;
}

const CHILD_NAMES: readonly ChildNames[] = ["prefixed", "by-role"];
const ALWAYS_REQUIRED: readonly (keyof OrionSecrets)[] = ["dbPassword", "flowerPassword", "grafanaPassword"];
const BACKUP_SECRETS: readonly (keyof OrionSecrets)[] = ["backupAccessKey", "backupSecretKey", "backupPassphrase"];

/** `orion:memoryLimits.api` -> `memoryLimits.api`: the args are fields, not config keys. */
const asField = (text: string) => text.replace(new RegExp(`(^|[\\s(\`])${CONFIG_NAMESPACE}:(?=[A-Za-z])`, "g"), "$1");
const fromConfigProblem = (p: ConfigProblem): PlatformArgsProblem => ({
  field: asField(p.key),
  value: p.value,
  message: asField(p.message),
});

function configProblems(error: unknown): PlatformArgsProblem[] {
  if (error instanceof ConfigError) return error.problems.map(fromConfigProblem);
  throw error;
}

/** A platform created without `deployed`: a new stack in a Hetzner project that has none of its keys. */
const NOTHING_DEPLOYED: Deployed = { servers: {}, beforePrefixes: false, sshKeys: [] };

/**
 * Validates an `OrionPlatform`'s args and plans its stage: the same checks as
 * `npm run plan` (config, then the plan's budgets), plus the secrets and the
 * names. Throws one `OrionPlatformArgsError` listing every problem.
 */
export function resolvePlatformArgs(name: string, args: OrionPlatformArgs): ResolvedPlatform {
  const {
    secrets = {} as Partial<OrionSecrets>,
    childNames = "prefixed",
    deployed = NOTHING_DEPLOYED,
    imageLock,
    ...settings
  } = args;
  // The prefix is a setting like any other (parseConfig checks it); without one, Hetzner names start with the component's.
  const namePrefix = settings.namePrefix ?? name;
  const problems: PlatformArgsProblem[] = [];
  const given = Object.fromEntries(Object.entries({ ...settings, namePrefix }).filter(([, v]) => v !== undefined));

  for (const key of Object.keys(given)) {
    if (!(SECRET_CONFIG_KEYS as readonly string[]).includes(key)) continue;
    problems.push({
      field: key,
      value: undefined,
      message: `is a secret; pass it as secrets.${key} (e.g. config.requireSecret("${key}")), never as a plain field`,
    });
    delete given[key];
  }
  const secretsGiven = SECRET_CONFIG_KEYS.filter((key) => secrets[key] !== undefined);
  for (const key of Object.keys(secrets)) {
    if (!(SECRET_CONFIG_KEYS as readonly string[]).includes(key))
      problems.push({
        field: `secrets.${key}`,
        value: undefined,
        message: `is not a secret of orion-infra; use one of ${SECRET_CONFIG_KEYS.join(", ")}`,
      });
  }
  for (const key of ALWAYS_REQUIRED) {
    if (!secretsGiven.includes(key))
      problems.push({
        field: `secrets.${key}`,
        value: undefined,
        message: "is missing; every platform needs it (a secret output, e.g. config.requireSecret)",
      });
  }
  if (!CHILD_NAMES.includes(childNames))
    problems.push({
      field: "childNames",
      value: childNames,
      message: `is not a naming; use one of ${CHILD_NAMES.join(", ")}`,
    });

  let config: OrionConfig | undefined;
  try {
    // The app secrets' names are plain (the compose files list them); the plan checks them like orion:appEnv's.
    config = {
      ...parseConfig(given, { secrets: secretsGiven }),
      appSecretNames: Object.keys(secrets.appSecrets ?? {}).sort(),
    };
  } catch (error) {
    const found = configProblems(error);
    // A default prefix that Hetzner would refuse is the component's name: say so, since namePrefix was not given.
    if (settings.namePrefix === undefined)
      for (const p of found) if (p.field === "namePrefix") p.message += " (it defaults to the component's name)";
    problems.push(...found);
  }
  if (config?.databaseBackups.bucket) {
    for (const key of BACKUP_SECRETS) {
      if (!secretsGiven.includes(key))
        problems.push({
          field: `secrets.${key}`,
          value: undefined,
          message: "is missing; backupBucket needs the bucket's S3 keys and the backups' passphrase",
        });
    }
  }
  let planned: Plan | undefined;
  let lock = imageLock;
  // The plan's checks (budgets, floors, connections) need a valid config.
  if (config) {
    try {
      planned = planStage(config);
      lock ??= committedLock();
      planned.findings.push(...imageLockFindings(planned, lock));
    } catch (error) {
      problems.push(...configProblems(error));
    }
  }
  if (problems.length > 0 || !config || !planned || !lock) throw new OrionPlatformArgsError(name, problems);

  const registryUsername = config.registryUsername;
  const secretOutput = pulumi.output({
    dbPassword: secrets.dbPassword!,
    flowerPassword: secrets.flowerPassword!,
    grafanaPassword: secrets.grafanaPassword!,
    registryPassword: secrets.registryPassword,
    smtpPassword: secrets.smtpPassword,
    alertWebhookUrl: secrets.alertWebhookUrl,
    watchdogUrl: secrets.watchdogUrl,
    backupAccessKey: secrets.backupAccessKey,
    backupSecretKey: secrets.backupSecretKey,
    backupPassphrase: secrets.backupPassphrase,
    appSecrets: secrets.appSecrets ?? {},
  });
  return {
    config,
    plan: planned,
    secrets: pulumi.secret(secretOutput.apply((s): StackSecrets => ({ ...s, registryUsername }))),
    sshPrivateKey: secrets.sshPrivateKey === undefined ? undefined : pulumi.secret(secrets.sshPrivateKey),
    alertWebhook: secretsGiven.includes("alertWebhookUrl"),
    childName: (role) => (childNames === "by-role" ? role : `${name}-${role}`),
    namePrefix,
    deployed,
    imageLock: lock,
  };
}

/**
 * Warns about each finding of the plan, and stops `pulumi up` (not a preview)
 * before anything changes when one of them blocks it.
 */
export function refuseBlockingFindings(planned: Plan): void {
  for (const finding of planned.findings) void pulumi.log.warn(`${finding.key} ${finding.message}`);
  // A preview shows what the placeholders would build; an update must not build it.
  const blocking = planned.findings.filter((f) => f.blocksUp);
  if (blocking.length > 0 && !pulumi.runtime.isDryRun()) {
    throw new pulumi.RunError(
      `pulumi up stops before changing anything:\n${blocking.map((f) => `  - ${f.key} ${f.message}`).join("\n")}`,
    );
  }
}
