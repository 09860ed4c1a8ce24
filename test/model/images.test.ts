import {
  committedLock,
  driftWarning,
  imageLockFindings,
  lockedDigests,
  lockProblems,
  planImages,
  platformImages,
  type ImageLock,
} from "../../model/images";
import { planFor } from "../helpers";
import { renderCompose } from "../../model/render/compose";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("images.lock.json", () => {
  it("lists every platform image the services use, and nothing else", () => {
    expect(Object.keys(committedLock().images).sort()).toEqual(platformImages());
    expect(lockProblems(committedLock())).toEqual([]);
  });

  it("holds no digest it could not have read from a registry: until npm run images -- --update has filled it, pulumi up refuses and says which command fixes it", () => {
    const lock = committedLock();
    for (const entry of Object.values(lock.images))
      expect(entry.digest === null || /^sha256:[0-9a-f]{64}$/.test(entry.digest)).toBe(true);
    const open = planImages(planFor("launch")).filter((i) => !lock.images[i].digest);
    const findings = imageLockFindings(planFor("launch"), lock);
    if (open.length === 0) expect(findings).toEqual([]);
    else
      expect(findings).toEqual([
        expect.objectContaining({
          blocksUp: true,
          key: "images.lock.json",
          message: expect.stringContaining("run `npm run images -- --update`"),
        }),
      ]);
  });

  it("blocks pulumi up for the images a stage runs without a digest, and only for those", () => {
    const launch = planFor("launch");
    const none: ImageLock = {
      lockfileVersion: 1,
      images: Object.fromEntries(platformImages().map((i) => [i, { digest: null }])),
    };
    const [finding] = imageLockFindings(launch, none);
    expect(finding).toMatchObject({ severity: "warning", blocksUp: true, key: "images.lock.json" });
    expect(finding.message).toContain(
      `has no digest for ${planImages(launch).length} images the launch stage runs (${planImages(launch).join(", ")})`,
    );
    expect(planImages(launch)).toContain("caddy:2.8.4-alpine");
    expect(planImages(launch)).not.toContain("orion/orion:1.0.0");
    // A digest missing for an image launch does not run does not matter.
    const complete: ImageLock = {
      lockfileVersion: 1,
      images: Object.fromEntries(
        platformImages().map((i) => [i, { digest: planImages(launch).includes(i) ? DIGEST : null }]),
      ),
    };
    expect(imageLockFindings(launch, complete)).toEqual([]);
  });

  it("says when a registry serves other bytes under a locked tag, and keeps quiet when it serves the locked ones", () => {
    const other = `sha256:${"cd".repeat(32)}`;
    expect(driftWarning("redis:7.2.7-bookworm", DIGEST, DIGEST)).toBeUndefined();
    expect(driftWarning("redis:7.2.7-bookworm", DIGEST, other)).toBe(
      `redis:7.2.7-bookworm: its registry now serves ${other}, images.lock.json pins ${DIGEST}; the deploy keeps the locked image. Review the new one with \`npm run images -- --update\` (it prints what changed) and commit the file`,
    );
  });

  it("pins a locked image by its digest in the compose file, and leaves an unlocked one at its tag", () => {
    const lock: ImageLock = {
      lockfileVersion: 1,
      images: Object.fromEntries(platformImages().map((i) => [i, { digest: i.startsWith("redis:") ? DIGEST : null }])),
    };
    const compose = renderCompose(planFor("launch"), planFor("launch").servers[0], lockedDigests(lock));
    expect(compose).toContain(`image: redis:7.2.7-bookworm@${DIGEST}`);
    expect(compose).toContain("image: prom/prometheus:v2.55.1\n");
  });

  it("names what is wrong with a lock that does not match the services", () => {
    const lock: ImageLock = { lockfileVersion: 1, images: { "postgres:14": { digest: "sha256:nope" } } };
    const problems = lockProblems(lock, ["postgres:15.13-bookworm"]);
    expect(problems).toEqual([
      "images.lock.json has no entry for postgres:15.13-bookworm; run npm run images -- --update (or --sync where no registry can be reached)",
      "images.lock.json has postgres:14, which no service uses any more; run npm run images -- --update (or --sync where no registry can be reached)",
      'images.lock.json has "sha256:nope" for postgres:14, which is not a sha256 digest',
    ]);
  });
});
