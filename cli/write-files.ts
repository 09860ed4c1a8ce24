import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { OrionConfig } from "../model/config";
import type { Plan } from "../model/plan";
import { lockedDigests } from "../model/images";
import { renderCloudInit } from "../model/render/cloud-init";
import { serverDeployment } from "../model/render/server-deployment";

/**
 * Writes what `pulumi up` sends each server, without a secret: under
 * <dir>/<server>/ the compose project's files, deploy.sh, pull.sh (and
 * release-pgdata.sh where the database moved away) and env-keys.txt, the names
 * of the env file's variables; the user-data every server boots with beside them.
 */
export function writeRenderedFiles(
  plan: Plan,
  dir: string,
  config: OrionConfig,
  secretKeys: readonly string[],
): string[] {
  const set = (key: string) => secretKeys.includes(key);
  const stack = {
    appImage: config.appImage,
    sshPublicKeys: config.sshPublicKeys,
    registryUsername: config.registryUsername,
    receivers: {
      email: config.alertEmail,
      webhook: config.alertWebhook === true,
      watchdog: config.watchdogWebhook === true,
    },
    secrets: {
      smtpPassword: set("smtpPassword"),
      alertWebhookUrl: set("alertWebhookUrl"),
      registryPassword: set("registryPassword"),
      watchdogUrl: set("watchdogUrl"),
    },
  };
  const files: Record<string, string> = { "cloud-init.yaml": renderCloudInit() };
  for (const server of plan.servers) {
    // The platform images as pulumi up pins them, from the committed images.lock.json (the app image's digest needs its registry).
    for (const [path, content] of Object.entries(serverDeployment(plan, server, stack, lockedDigests())))
      files[join(server.name, path)] = content;
  }
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return Object.keys(files).sort();
}
