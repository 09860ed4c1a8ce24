import { pgdataMove } from "../deploy-order";
import type { Plan, PlannedServer } from "../plan-types";
import {
  registryHostOf,
  renderDeployScript,
  renderPullScript,
  renderReleasePgdataScript,
  type DeployScriptOptions,
} from "./deploy-script";
import { caddyDeploySteps } from "./caddy";
import { COMPOSE_PROJECT, imageRef, type ImageDigests } from "./compose";
import { SMTP_PASSWORD_FILE, type AlertReceivers } from "./monitoring";
import { DB_PASSWORD_FILE, releaseDeploySteps } from "./release-script";
import { renderEnvFile, renderServerFiles, type StackSecrets } from "./server-files";

/** Where the pgdata volume sits on another server than app, app releases it (the database moved in scale; model/deploy-order.ts). */
export function releasesPgdata(plan: Plan, server: PlannedServer): boolean {
  return pgdataMove(plan)?.releasedBy === server.name;
}

/** How the deploy script of one server is made: the same for `pulumi up` and `npm run plan -- --out`. */
export function deployScriptOptions(
  plan: Plan,
  server: PlannedServer,
  stack: { appImage: string; sshPublicKeys: string[] },
  digests: ImageDigests = {},
): DeployScriptOptions {
  const caddy = server.caddy
    ? caddyDeploySteps(imageRef(server.caddy.image, digests), COMPOSE_PROJECT)
    : { checks: [], afterUp: [] };
  const release = releaseDeploySteps(server, imageRef(stack.appImage, digests));
  const secretFiles: { file: string; env: string }[] = server.services.some((s) => s.name === "alertmanager")
    ? [{ file: `config/alertmanager/${SMTP_PASSWORD_FILE.file}`, env: SMTP_PASSWORD_FILE.env }]
    : [];
  // PostgreSQL reads its first password from a file, so that a new one (applied with ALTER ROLE) does not recreate the database's container.
  if (server.services.some((s) => s.name === "db"))
    secretFiles.push({ file: DB_PASSWORD_FILE.file, env: DB_PASSWORD_FILE.env });
  return {
    mountsPgdata: plan.volumes.some((v) => v.server === server.name),
    registryHost: registryHostOf(stack.appImage),
    sshPublicKeys: stack.sshPublicKeys,
    secretFiles,
    checks: caddy.checks,
    prepare: release.prepare,
    beforeUp: release.beforeUp,
    afterUp: [...caddy.afterUp, ...release.afterUp],
  };
}

/** The secret keys a stack can set, as far as the env file is concerned: which of them it has decides which variables it gets. */
export type SecretPresence = Partial<
  Record<"smtpPassword" | "alertWebhookUrl" | "registryPassword" | "watchdogUrl", boolean>
>;

/** The names of the env file's variables on one server, never their values. */
export function envFileKeys(
  plan: Plan,
  server: PlannedServer,
  present: SecretPresence,
  registryUsername?: string,
): string[] {
  // Stand-ins with no character the env file refuses; only the names are kept.
  const standIn = (set: boolean | undefined) => (set ? "set" : undefined);
  const secrets: StackSecrets = {
    dbPassword: "set",
    flowerPassword: "set",
    grafanaPassword: "set",
    registryUsername,
    registryPassword: standIn(present.registryPassword),
    smtpPassword: standIn(present.smtpPassword),
    alertWebhookUrl: standIn(present.alertWebhookUrl),
    watchdogUrl: standIn(present.watchdogUrl),
  };
  return renderEnvFile(plan, server, secrets)
    .split("\n")
    .filter((line) => line.includes("="))
    .map((line) => line.slice(0, line.indexOf("=")));
}

/** Everything one server receives from `pulumi up`, by file name, without a secret: what `--out` writes. */
export function serverDeployment(
  plan: Plan,
  server: PlannedServer,
  stack: {
    appImage: string;
    sshPublicKeys: string[];
    registryUsername?: string;
    receivers: AlertReceivers;
    secrets: SecretPresence;
  },
  digests: ImageDigests = {},
): Record<string, string> {
  const files = renderServerFiles(plan, server, digests, stack.receivers);
  const images = server.services
    .filter((s) => s.image !== stack.appImage)
    .map((s) => (digests[s.image] ? `${s.image}@${digests[s.image]}` : s.image));
  return {
    ...files,
    "deploy.sh": renderDeployScript(files, deployScriptOptions(plan, server, stack, digests)),
    "pull.sh": renderPullScript(images),
    ...(releasesPgdata(plan, server) ? { "release-pgdata.sh": renderReleasePgdataScript() } : {}),
    "env-keys.txt": `# Variables of /opt/orion/.env on ${server.name} (mode 600, written from stdin by deploy.sh); values are secrets and not shown.\n${envFileKeys(plan, server, stack.secrets, stack.registryUsername).join("\n")}\n`,
  };
}
