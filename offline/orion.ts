import { orionProgram } from "../components/program";
import { createHash } from "node:crypto";
import { CONFIG_NAMESPACE } from "../model/config";
import { committedLock, lockedDigests, type ImageLock } from "../model/images";
import { runUnderMocks, type ExistingState, type MockRun, type RecordedResource } from "./mock-run";

/** Stand-ins for the stack's secrets in offline runs; tests look for them to prove no secret leaks. */
export const OFFLINE_SECRETS: Record<string, string> = {
  [`${CONFIG_NAMESPACE}:dbPassword`]: "offline-db-password-7f3a",
  [`${CONFIG_NAMESPACE}:flowerPassword`]: "offline-flower-password-91c2",
  [`${CONFIG_NAMESPACE}:grafanaPassword`]: "offline-grafana-password-5d0e",
  // The app's own secrets: one name any shape check would catch, one it would not.
  [`${CONFIG_NAMESPACE}:appSecrets`]: JSON.stringify({
    SECRET_KEY: "offline-app-secret-key-c4d2",
    STRIPE_KEY: "offline-stripe-key-8b1f",
  }),
  [`${CONFIG_NAMESPACE}:backupAccessKey`]: "offline-backup-access-key-3b8d",
  [`${CONFIG_NAMESPACE}:backupSecretKey`]: "offline-backup-secret-key-c41a",
  [`${CONFIG_NAMESPACE}:backupPassphrase`]: "offline-backup-passphrase-e90f",
};

/**
 * A real key, an admin address outside the documentation ranges and an alert
 * receiver, so that offline runs deploy as a configured stack would (`pulumi up`
 * stops on placeholders and on alerts that reach no one).
 */
export const OFFLINE_DEFAULTS: Record<string, unknown> = {
  sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG2E0gZN/BhQKlkAP10bGzzKOZR60PpPoG2/7Uao1Lso offline@orion"],
  adminCidrs: ["100.64.0.7/32"],
  alertEmail: "ops@orion.invalid",
  smtpFrom: "alerts@orion.invalid",
  smtpSmarthost: "smtp.orion.invalid:587",
  backupBucket: "orion-offline-backups",
};

/** A digest that stands in for what a registry would answer for an image: the hash of its name. */
export function standInDigest(image: string): string {
  return `sha256:${createHash("sha256").update(`offline stand-in for ${image}`).digest("hex")}`;
}

/**
 * images.lock.json as it is once `npm run images -- --update` has run: every
 * digest the committed file has, and a stand-in (the hash of the image's name)
 * for each it has not yet, so that offline runs deploy what a configured
 * stack deploys. Nothing pulls these; a run that must see the committed file
 * as it is passes `lock: committedLock()`.
 */
export const OFFLINE_LOCK: ImageLock = (() => {
  const lock = committedLock();
  return {
    ...lock,
    images: Object.fromEntries(
      Object.entries(lock.images).map(([image, e]) => [image, { digest: e.digest ?? standInDigest(image) }]),
    ),
  };
})();

/** Raw config (keys without namespace, values as the CLI takes them) in the form Pulumi passes to a program. */
export function pulumiConfigMap(raw: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [`${CONFIG_NAMESPACE}:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

/**
 * Runs the Orion program offline for a config, as `pulumi preview` (default)
 * or `pulumi up` would see it: on a new stack in an empty Hetzner project, or
 * over `existing` (the outputs of the stack's last update, the project's SSH keys).
 * `lock` is the image lock the program reads (OFFLINE_LOCK unless given);
 * `registryDigest` is what the registries answer (by default the lock's
 * digest for a locked image, so no drift, and a stand-in for the app image).
 */
export function runOrion(
  raw: Record<string, unknown>,
  options: {
    preview?: boolean;
    withDefaults?: boolean;
    secrets?: Record<string, string>;
    existing?: ExistingState;
    lock?: ImageLock;
    registryDigest?: (image: string) => string | undefined;
  } = {},
): Promise<MockRun> {
  const secrets = options.secrets ?? OFFLINE_SECRETS;
  const config = {
    ...pulumiConfigMap({ ...(options.withDefaults === false ? {} : OFFLINE_DEFAULTS), ...raw }),
    ...secrets,
  };
  const lock = options.lock ?? OFFLINE_LOCK;
  return runUnderMocks(async () => (await orionProgram(undefined, lock)) as unknown as Record<string, unknown>, {
    config,
    secretKeys: Object.keys(secrets),
    preview: options.preview,
    existing: options.existing,
    registryDigest: options.registryDigest ?? ((image) => lockedDigests(lock)[image] ?? standInDigest(image)),
  });
}

export function byName(run: MockRun, type: string, name: string): RecordedResource {
  const found = run.resources.find((r) => r.type === type && r.name === name);
  if (!found)
    throw new Error(
      `no ${type} named ${name}; have ${run.resources
        .filter((r) => r.type === type)
        .map((r) => r.name)
        .join(", ")}`,
    );
  return found;
}
