import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { driftWarning, IMAGE_LOCK_FILE, type ImageLock } from "../model/images";

/**
 * At preview, asks each registry which digest a locked tag names today and
 * warns where it is not the one images.lock.json pins. The deploy never takes
 * the registry's answer (an unchanged config deploys unchanged images); the
 * warning is how an operator learns that upstream rebuilt `postgres:15.x` or
 * `redis:7.x` (usually a security update) and should run
 * `npm run images -- --update`.
 *
 * The lookup is the docker provider's registry data source: a HEAD request
 * for `/v2/<repository>/manifests/<tag>` whose `Docker-Content-Digest` is the
 * digest of what the tag names, the manifest list for a multi-arch image, as
 * `npm run images -- --update` locks it (terraform-provider-docker, which
 * @pulumi/docker wraps, internal/provider/data_source_docker_registry_image.go:48-79,
 * getImageDigest and getDigestFromResponse). A registry that does not answer
 * is a warning too, not a failed preview: the lock still says what to deploy.
 * `orion:imageDriftCheck: false` skips the lookups where no registry can be reached.
 */
export async function checkImageDrift(lock: ImageLock, images: string[]): Promise<void> {
  const locked = images.flatMap((image) => {
    const digest = lock.images[image]?.digest;
    return digest ? [{ image, digest }] : [];
  });
  const answers = await Promise.all(
    locked.map(({ image, digest }) =>
      docker.getRegistryImage({ name: image }).then(
        (served) => driftWarning(image, digest, served.sha256Digest),
        (error: unknown) =>
          `${image}: its registry did not answer (${error instanceof Error ? error.message.split("\n")[0] : String(error)}), so the preview could not compare it with ${IMAGE_LOCK_FILE}; ` +
          "set orion:imageDriftCheck false where no registry can be reached",
      ),
    ),
  );
  for (const warning of answers) if (warning) pulumi.log.warn(warning);
}
