import { createHash } from "node:crypto";

/**
 * A client for the Docker Registry HTTP API v2 (the OCI distribution spec),
 * enough to turn `name:tag` into the digest `docker pull name@digest` takes:
 * GET /v2/<repository>/manifests/<tag>, with the bearer token the registry
 * asks for in its `WWW-Authenticate` answer (Docker Hub and gcr.io both do,
 * even for public images).
 */

/** Manifest types asked for, lists first: a multi-platform image answers with its index. */
const ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** Every Hetzner CAX server is ARM: an image must have this platform. */
export const SERVER_PLATFORM = { os: "linux", architecture: "arm64" };

export interface ImageReference {
  /** Registry host as Docker names it (`docker.io` for Docker Hub). */
  registry: string;
  repository: string;
  tag: string;
}

/** Docker's reference rules: a first path part with a dot, a colon or `localhost` is a registry; Docker Hub's official images live under `library/`. */
export function parseReference(image: string): ImageReference {
  const at = image.lastIndexOf(":");
  const slash = image.lastIndexOf("/");
  if (at < 0 || at < slash || image.includes("@")) throw new Error(`${image} is not name:tag; the lock pins tags`);
  const name = image.slice(0, at);
  const tag = image.slice(at + 1);
  const parts = name.split("/");
  const hasRegistry =
    parts.length > 1 && (parts[0].includes(".") || parts[0].includes(":") || parts[0] === "localhost");
  const registry = hasRegistry ? parts[0] : "docker.io";
  const path = hasRegistry ? parts.slice(1) : parts;
  const repository = registry === "docker.io" && path.length === 1 ? `library/${path[0]}` : path.join("/");
  return { registry, repository, tag };
}

/** Where each registry answers: Docker Hub's API host differs from its name. `overrides` maps a registry to a base URL (a mirror, or a test's). */
export function registryBaseUrl(registry: string, overrides: Record<string, string> = {}): string {
  if (overrides[registry]) return overrides[registry].replace(/\/$/, "");
  return registry === "docker.io" ? "https://registry-1.docker.io" : `https://${registry}`;
}

export class RegistryError extends Error {
  constructor(
    readonly image: string,
    message: string,
  ) {
    super(`${image}: ${message}`);
    this.name = "RegistryError";
  }
}

/** `Bearer realm="...",service="...",scope="..."` as a map. */
function bearerChallenge(header: string | null): Record<string, string> | undefined {
  if (!header || !/^Bearer\s/i.test(header)) return undefined;
  return Object.fromEntries([...header.slice(7).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

async function token(image: string, challenge: Record<string, string>, repository: string): Promise<string> {
  if (!challenge.realm) throw new RegistryError(image, "the registry asked for a token but named no realm");
  const url = new URL(challenge.realm);
  if (challenge.service) url.searchParams.set("service", challenge.service);
  url.searchParams.set("scope", challenge.scope ?? `repository:${repository}:pull`);
  const response = await fetch(url);
  if (!response.ok) throw new RegistryError(image, `the token service ${url.origin} answered ${response.status}`);
  const body = (await response.json()) as { token?: string; access_token?: string };
  const value = body.token ?? body.access_token;
  if (!value) throw new RegistryError(image, `the token service ${url.origin} returned no token`);
  return value;
}

interface ManifestIndex {
  mediaType?: string;
  manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
  config?: { digest: string };
}

/**
 * The digest of `image`'s manifest (its index for multi-platform images),
 * checked against the bytes the registry sent, and only if the image runs on
 * the servers' platform.
 */
export async function resolveDigest(image: string, overrides: Record<string, string> = {}): Promise<string> {
  const ref = parseReference(image);
  const url = `${registryBaseUrl(ref.registry, overrides)}/v2/${ref.repository}/manifests/${ref.tag}`;
  const get = (auth?: string) =>
    fetch(url, { headers: { Accept: ACCEPT, ...(auth ? { Authorization: `Bearer ${auth}` } : {}) } });
  let response: Response;
  let auth: string | undefined;
  try {
    response = await get();
    if (response.status === 401) {
      const challenge = bearerChallenge(response.headers.get("www-authenticate"));
      if (!challenge) throw new RegistryError(image, `${url} wants credentials this command does not have`);
      auth = await token(image, challenge, ref.repository);
      response = await get(auth);
    }
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    throw new RegistryError(
      image,
      `cannot reach ${new URL(url).origin} (${String((error as Error).cause ?? (error as Error).message)})`,
    );
  }
  if (response.status === 404)
    throw new RegistryError(image, `the registry has no tag ${ref.tag} for ${ref.repository}`);
  if (!response.ok) throw new RegistryError(image, `${url} answered ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  const claimed = response.headers.get("docker-content-digest");
  if (claimed && claimed !== digest)
    throw new RegistryError(image, `the registry says ${claimed} but sent a manifest whose digest is ${digest}`);
  const manifest = JSON.parse(bytes.toString("utf8")) as ManifestIndex;
  if (manifest.manifests) {
    const fits = manifest.manifests.some(
      (m) => m.platform?.os === SERVER_PLATFORM.os && m.platform?.architecture === SERVER_PLATFORM.architecture,
    );
    if (!fits) {
      const offered = manifest.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(", ");
      throw new RegistryError(
        image,
        `has no ${SERVER_PLATFORM.os}/${SERVER_PLATFORM.architecture} image (it offers ${offered}); Hetzner's CAX servers are ARM`,
      );
    }
  } else if (manifest.config) {
    // A single-platform image: its config blob names the platform.
    const blob = await fetch(
      `${registryBaseUrl(ref.registry, overrides)}/v2/${ref.repository}/blobs/${manifest.config.digest}`,
      { headers: auth ? { Authorization: `Bearer ${auth}` } : {} },
    );
    if (!blob.ok) throw new RegistryError(image, `its config blob ${manifest.config.digest} answered ${blob.status}`);
    const config = (await blob.json()) as { os?: string; architecture?: string };
    if (config.os !== SERVER_PLATFORM.os || config.architecture !== SERVER_PLATFORM.architecture) {
      throw new RegistryError(
        image,
        `is built for ${config.os}/${config.architecture} only; Hetzner's CAX servers need ${SERVER_PLATFORM.os}/${SERVER_PLATFORM.architecture}`,
      );
    }
  }
  return digest;
}
