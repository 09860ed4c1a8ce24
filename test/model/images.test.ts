import { committedLock, lockedDigests, lockProblems, platformImages, unlockedWarning, type ImageLock } from "../../model/images";
import { planFor } from "../helpers";
import { renderCompose } from "../../model/render/compose";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("images.lock.json", () => {
  it("lists every platform image the services use, and nothing else", () => {
    expect(Object.keys(committedLock().images).sort()).toEqual(platformImages());
    expect(lockProblems(committedLock())).toEqual([]);
  });

  it("holds no digest it could not have read from a registry: until npm run images -- --update runs, every image deploys by tag, and pulumi up says so", () => {
    const lock = committedLock();
    for (const entry of Object.values(lock.images)) expect(entry.digest === null || /^sha256:[0-9a-f]{64}$/.test(entry.digest)).toBe(true);
    if (Object.values(lock.images).some((e) => e.digest === null)) expect(unlockedWarning(lock)).toMatch(/^images\.lock\.json has no digest for \d+ images? \(.+\): they deploy by their pinned tag/);
  });

  it("pins a locked image by its digest in the compose file, and leaves an unlocked one at its tag", () => {
    const lock: ImageLock = { lockfileVersion: 1, images: Object.fromEntries(platformImages().map((i) => [i, { digest: i.startsWith("postgres:") ? DIGEST : null }])) };
    const compose = renderCompose(planFor("launch"), planFor("launch").servers[0], lockedDigests(lock));
    expect(compose).toContain(`image: postgres:15.13-bookworm@${DIGEST}`);
    expect(compose).toContain("image: redis:7.2.7-bookworm\n");
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
