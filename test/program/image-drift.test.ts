import { committedLock, lockedDigests } from "../../model/images";
import { OFFLINE_LOCK, runOrion, standInDigest } from "../../offline/orion";
import { deployedCompose } from "./support";

const REDIS = "redis:7.2.7-bookworm";
const REBUILT = `sha256:${"e7".repeat(32)}`;
const LOOKUP = "docker:index/getRegistryImage:getRegistryImage";
const locked = lockedDigests(OFFLINE_LOCK);
/** A registry that serves every locked tag at its locked digest, except those given. */
const registry = (changed: Record<string, string>) => (image: string) =>
  changed[image] ?? locked[image] ?? standInDigest(image);

describe("a preview compares images.lock.json with the registries (@pulumi/docker's getRegistryImage)", () => {
  it("warns when upstream rebuilt a locked tag, and still deploys the locked digest", async () => {
    const run = await runOrion({ stage: "launch" }, { registryDigest: registry({ [REDIS]: REBUILT }) });
    const drift = run.warnings.filter((w) => w.includes("its registry now serves"));
    expect(drift).toEqual([
      `${REDIS}: its registry now serves ${REBUILT}, images.lock.json pins ${locked[REDIS]}; the deploy keeps the locked image. Review the new one with \`npm run images -- --update\` (it prints what changed) and commit the file`,
    ]);
    expect(deployedCompose(run, "app").services.redis.image).toBe(`${REDIS}@${locked[REDIS]}`);
  });

  it("says nothing when every registry serves the locked digests, after asking once per image the stage runs, plus the app image", async () => {
    const run = await runOrion({ stage: "launch" }, { registryDigest: registry({}) });
    expect(run.warnings.filter((w) => /its registry (now serves|did not answer)/.test(w))).toEqual([]);
    const images = new Set(Object.values(deployedCompose(run, "app").services).map((s) => s.image.split("@")[0]));
    expect(images.has(REDIS)).toBe(true);
    // The database image is built on the server from the locked postgres base; Caddy is locked too.
    expect(run.calls.filter((c) => c === LOOKUP).length).toBeGreaterThanOrEqual(images.size);
  });

  it("warns, without failing the preview, when a registry does not answer", async () => {
    const run = await runOrion(
      { stage: "launch" },
      {
        registryDigest: (image) =>
          image in locked && image !== REDIS ? locked[image] : image === REDIS ? undefined : standInDigest(image),
      },
    );
    expect(run.warnings.filter((w) => w.includes("did not answer"))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${REDIS}: its registry did not answer .*set orion:imageDriftCheck false where no registry can be reached$`,
        ),
      ),
    ]);
  });

  it("asks no registry about the locked images with orion:imageDriftCheck false (an airgapped machine), nor in pulumi up", async () => {
    for (const run of [
      await runOrion({ stage: "launch", imageDriftCheck: false }, { registryDigest: registry({ [REDIS]: REBUILT }) }),
      await runOrion({ stage: "launch" }, { preview: false, registryDigest: registry({ [REDIS]: REBUILT }) }),
    ]) {
      // The one lookup left is the app image's, which is not in the lock.
      expect(run.calls.filter((c) => c === LOOKUP)).toEqual([LOOKUP]);
      expect(run.warnings.filter((w) => w.includes("its registry"))).toEqual([]);
    }
  });
});

describe("an images.lock.json without digests, as the repository has it until someone runs npm run images -- --update", () => {
  const open = {
    ...committedLock(),
    images: Object.fromEntries(Object.keys(committedLock().images).map((image) => [image, { digest: null }])),
  };

  it("stops pulumi up before anything is created, naming the command that fills it in", async () => {
    await expect(runOrion({ stage: "launch" }, { preview: false, lock: open })).rejects.toThrow(
      /pulumi up stops before changing anything:[\s\S]*images\.lock\.json has no digest for \d+ images the launch stage runs .*run `npm run images -- --update`/,
    );
  });

  it("lets pulumi preview show the stage, with the same finding as a warning", async () => {
    const run = await runOrion({ stage: "launch" }, { lock: open });
    expect(run.resources.length).toBeGreaterThan(0);
    expect(run.warnings).toContainEqual(
      expect.stringMatching(/^images\.lock\.json has no digest for \d+ images the launch stage runs/),
    );
  });
});
