import { parseConfig } from "../../model/config";
import { plan } from "../../model/plan";
import { standInDigest as fakeDigest } from "../../offline/orion";
import { unwrap } from "../../offline/wire";
import { DEPLOY, sharedRun } from "./support";

/** The images a server's pull step fetches, read back from its script. */
async function pulledImages(raw: Record<string, unknown>, server: string): Promise<string[]> {
  const run = await sharedRun(raw);
  const pull = run.resources.find((r) => r.type === DEPLOY && r.name === `${server}-pull`);
  if (!pull) throw new Error(`no pull step on ${server}`);
  return [...String(unwrap(pull.inputs.create)).matchAll(/^docker pull --quiet '([^']+)'/gm)].map((m) => m[1]);
}

describe("the pull step ahead of each deploy", () => {
  it("fetches every image of the launch server, the public app image and Caddy among them, pinned by digest", async () => {
    const server = plan(parseConfig({ stage: "launch" })).servers[0];
    const expected = [...server.services.map((s) => s.image), server.caddy!.image].map(
      (image) => `${image}@${fakeDigest(image)}`,
    );
    expect((await pulledImages({ stage: "launch" }, "app")).sort()).toEqual([...new Set(expected)].sort());
    expect(await pulledImages({ stage: "launch" }, "app")).toContain(
      `orion/orion:1.0.0@${fakeDigest("orion/orion:1.0.0")}`,
    );
  });

  it("fetches the app image on the enterprise worker servers too, so no deploy downloads it on its critical path", async () => {
    for (const server of ["api-2", "worker-1", "worker-2"])
      expect(
        (await pulledImages({ stage: "enterprise" }, server)).some((i) => i.startsWith("orion/orion:1.0.0@")),
      ).toBe(true);
  });

  it("leaves a private app image (orion:registryUsername set) to the deploy, which logs in to its registry first", async () => {
    const images = await pulledImages(
      { stage: "launch", appImage: "registry.example.com/orion:1.0.0", registryUsername: "deploy-bot" },
      "app",
    );
    expect(images.some((i) => i.startsWith("registry.example.com/orion:1.0.0"))).toBe(false);
    expect(images.some((i) => i.startsWith("postgres:"))).toBe(true);
  });
});
