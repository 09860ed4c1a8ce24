import lockFile from "../images.lock.json";
import { CADDY_IMAGE } from "./ingress";
import type { Finding, Plan } from "./plan-types";
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

/** The images the lock must cover: every service image except the operator's app image, and Caddy's. */
export function platformImages(): string[] {
  return [
    ...new Set([...Object.values(SERVICES).flatMap((s) => (s.image === "app" ? [] : [s.image])), CADDY_IMAGE]),
  ].sort();
}

/** The locked images one plan runs (the database image is built from its base, which is locked). */
export function planImages(plan: Plan): string[] {
  const locked = new Set(platformImages());
  return [
    ...new Set(plan.servers.flatMap((s) => [...s.services.map((x) => x.image), ...(s.caddy ? [s.caddy.image] : [])])),
  ]
    .filter((i) => locked.has(i))
    .sort();
}

/** Problems that make a lock unusable, each naming the image and what to do. */
export function lockProblems(lock: ImageLock, images: string[] = platformImages()): string[] {
  const problems: string[] = [];
  if (lock.lockfileVersion !== 1)
    problems.push(
      `${IMAGE_LOCK_FILE} has lockfileVersion ${String(lock.lockfileVersion)}; this version of orion-infra reads 1`,
    );
  const fix = "run npm run images -- --update (or --sync where no registry can be reached)";
  for (const image of images)
    if (!(image in lock.images)) problems.push(`${IMAGE_LOCK_FILE} has no entry for ${image}; ${fix}`);
  for (const [image, entry] of Object.entries(lock.images)) {
    if (!images.includes(image))
      problems.push(`${IMAGE_LOCK_FILE} has ${image}, which no service uses any more; ${fix}`);
    if (entry.digest !== null && !DIGEST.test(entry.digest))
      problems.push(
        `${IMAGE_LOCK_FILE} has ${JSON.stringify(entry.digest)} for ${image}, which is not a sha256 digest`,
      );
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

/**
 * The lock's part in "can `pulumi up` go ahead": an image this stage runs
 * without a digest would deploy by tag, and the policy pack's
 * service-enforce-image-digest refuses that anyway. Saying it here, with the
 * command that fixes it, beats a policy violation at the end of a preview.
 */
export function imageLockFindings(plan: Plan, lock: ImageLock = committedLock()): Finding[] {
  const open = planImages(plan).filter((image) => !lock.images[image]?.digest);
  if (open.length === 0) return [];
  return [
    {
      severity: "warning",
      blocksUp: true,
      key: IMAGE_LOCK_FILE,
      message:
        `has no digest for ${open.length} image${open.length === 1 ? "" : "s"} the ${plan.stage} stage runs (${open.join(", ")}), so \`pulumi up\` refuses to deploy them by tag; ` +
        "run `npm run images -- --update` where the registries can be reached, and commit the file (README: Image digests)",
    },
  ];
}

/**
 * What a preview says when a registry now serves other bytes under a locked
 * tag: upstream rebuilt it (a security update, usually). The deploy keeps the
 * locked digest; taking the new one is an explicit `npm run images -- --update`.
 */
export function driftWarning(image: string, locked: string, served: string): string | undefined {
  if (served === locked) return undefined;
  return `${image}: its registry now serves ${served}, ${IMAGE_LOCK_FILE} pins ${locked}; the deploy keeps the locked image. Review the new one with \`npm run images -- --update\` (it prints what changed) and commit the file`;
}
