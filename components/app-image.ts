import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { OrionConfig } from "../model/config";
import type { ImageDigests } from "../model/render/compose";
import { registryHostOf } from "../model/render/deploy-script";
import type { StackSecrets } from "../model/render/server-files";

/**
 * The Orion image's digest. The platform images come from images.lock.json;
 * the app image is the operator's own release, so it deploys as
 * `orion:appImage` names it: as is when that is already `name@sha256:...`,
 * else the preview asks its registry which digest the tag names, so the
 * compose files pin it and the policy pack's service-enforce-image-digest
 * sees what runs. A private registry is asked with `orion:registryUsername`
 * and the secret `orion:registryPassword`.
 */
export function appImageDigest(
  config: OrionConfig,
  secrets: pulumi.Output<StackSecrets>,
  parent: pulumi.Resource,
  providerName = "registry",
): pulumi.Output<ImageDigests> {
  if (config.appImage.includes("@sha256:")) return pulumi.output<ImageDigests>({});
  const registry = registryHostOf(config.appImage);
  const provider =
    registry && config.registryUsername
      ? new docker.Provider(
          providerName,
          {
            registryAuth: [
              {
                address: registry,
                username: config.registryUsername,
                password: secrets.apply((s) => s.registryPassword ?? ""),
              },
            ],
          },
          { parent },
        )
      : undefined;
  return docker
    .getRegistryImageOutput({ name: config.appImage }, { provider, parent })
    .sha256Digest.apply((digest) => ({ [config.appImage]: digest }));
}
