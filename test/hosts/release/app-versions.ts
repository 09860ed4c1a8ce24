import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Host } from "../host";

/**
 * Versions of the Orion stand-in for release scenarios, built on a host's
 * own engine from the bed's stand-in image (no registry exists): the
 * stand-in plus release/app's files (a versioned API, a Celery app with a
 * slow task, a migration), with ORION_VERSION set. What a CI pipeline would
 * push as orion/orion:<version>.
 */
export const STAND_IN = "orion/orion:1.0.0";
const FILES = join(__dirname, "app");

export const versionRef = (version: string) => `orion/orion:${version}`;

/** The config that runs these versions: their API module, Celery app and migration. */
export const VERSIONED_APP = {
  appApiModule: "versioned:app",
  appCeleryApp: "versioned_celery",
  appMigrateCommand: "python migrate.py",
};

export async function buildVersions(host: Host, versions: string[]): Promise<void> {
  await host.loadImages([STAND_IN]);
  const tar = spawnSync("tar", [
    "-C",
    FILES,
    "-c",
    "--owner=1000",
    "--group=1000",
    "versioned.py",
    "versioned_celery.py",
    "migrate.py",
  ]);
  if (tar.status !== 0) throw new Error(`tar of ${FILES} failed: ${tar.stderr.toString()}`);
  for (const version of versions) {
    const builder = `orion-build-${version.replace(/[^\w.-]/g, "-")}`;
    await host.docker(["rm", "-f", builder], { allowFail: true });
    await host.docker(["create", "--name", builder, STAND_IN]);
    await host.docker(["cp", "-", `${builder}:/app`], { input: tar.stdout });
    await host.docker(["commit", "--change", `ENV ORION_VERSION=${version}`, builder, versionRef(version)]);
    await host.docker(["rm", builder]);
  }
}
