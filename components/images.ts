import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ImageDigests } from "../model/render/compose";

/**
 * Resolves each pinned tag to its registry digest, so the compose files name
 * `image:tag@sha256:...` and a preview shows when an image behind a tag changed.
 */
export function resolveDigests(images: string[], provider?: docker.Provider, parent?: pulumi.Resource): pulumi.Output<ImageDigests> {
  const unique = [...new Set(images)].sort();
  const lookups = unique.map((name) => docker.getRegistryImageOutput({ name }, { provider, parent }).sha256Digest);
  return pulumi.all(lookups).apply((digests) => Object.fromEntries(unique.map((name, i) => [name, digests[i]])));
}
