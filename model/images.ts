import lockFile from "../images.lock.json";
import type { ImageDigests } from "./render/compose";
import { SERVICES } from "./services";

/**
 * The platform's images pinned to registry digests, committed like
 * package-lock.json. `pulumi up` reads this file and asks no registry, so a
 * run with unchanged config deploys the same bytes even when upstream
 * rebuilds a tag (postgres:15.x is rebuilt for every Debian security update).
 * Only `npm run images -- --update` changes it, and it prints what changed.
 *
 * The app image (`orion:appImage`) is the operator's own release and is not
 * in the lock: it is deployed as configured, by tag or by `name@sha256:...`.
 */
export interface ImageLock {
  lockfileVersion: 1;
  note?: string;
  /** Image reference (name:tag) -> the digest of its manifest list, or null when not resolved yet. */
  images: Record<string, { digest: string | null }>;
}

export const IMAGE_LOCK_FILE = "images.lock.json";
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The images the lock must cover: every service image except the operator's app image. */
export function platformImages(): string[] {
  return [...new Set(Object.values(SERVICES).flatMap((s) => (s.image === "app" ? [] : [s.image])))].sort();
}

/** Problems that make a lock unusable, each naming the image and what to do. */
export function lockProblems(lock: ImageLock, images: string[] = platformImages()): string[] {
  const problems: string[] = [];
  if (lock.lockfileVersion !== 1) problems.push(`${IMAGE_LOCK_FILE} has lockfileVersion ${String(lock.lockfileVersion)}; this version of orion-infra reads 1`);
  const fix = "run npm run images -- --update (or --sync where no registry can be reached)";
  for (const image of images) if (!(image in lock.images)) problems.push(`${IMAGE_LOCK_FILE} has no entry for ${image}; ${fix}`);
  for (const [image, entry] of Object.entries(lock.images)) {
    if (!images.includes(image)) problems.push(`${IMAGE_LOCK_FILE} has ${image}, which no service uses any more; ${fix}`);
    if (entry.digest !== null && !DIGEST.test(entry.digest)) problems.push(`${IMAGE_LOCK_FILE} has ${JSON.stringify(entry.digest)} for ${image}, which is not a sha256 digest`);
  }
  return problems;
}

/** The committed lock, checked once. */
export function committedLock(): ImageLock {
  const lock = lockFile as ImageLock;
  const problems = lockProblems(lock);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return lock;
}

/** The digests the compose files pin, for the images the lock has resolved. */
export function lockedDigests(lock: ImageLock = committedLock()): ImageDigests {
  return Object.fromEntries(Object.entries(lock.images).flatMap(([image, e]) => (e.digest ? [[image, e.digest]] : [])));
}

/** Images that deploy by tag because the lock has no digest for them yet. */
export function unlockedImages(lock: ImageLock = committedLock()): string[] {
  return Object.entries(lock.images)
    .filter(([, e]) => e.digest === null)
    .map(([image]) => image)
    .sort();
}

/** The warning `pulumi up` and `npm run plan` print while some image deploys by tag. */
export function unlockedWarning(lock: ImageLock = committedLock()): string | undefined {
  const open = unlockedImages(lock);
  if (open.length === 0) return undefined;
  return (
    `${IMAGE_LOCK_FILE} has no digest for ${open.length} image${open.length === 1 ? "" : "s"} (${open.join(", ")}): ` +
    "they deploy by their pinned tag, and a server that pulls later may get a rebuilt image; " +
    "run `npm run images -- --update` where the registries can be reached, and commit the file"
  );
}
