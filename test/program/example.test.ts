import * as images from "../../model/images";
import { OFFLINE_DEFAULTS, OFFLINE_LOCK, standInDigest } from "../../offline/orion";
import { runUnderMocks, type MockRun } from "../../offline/mock-run";
import { plainStrings } from "../../offline/wire";
import { deployedCompose, SERVER } from "./support";

// The example imports the package by its name, as a user's program does. Here that name is this
// repository's source (tsconfig.json `paths` does the same for the type check), so the test runs
// the code as it is now; test/cli/build.test.ts checks the example against the built package.
jest.mock("orion-infra", () => jest.requireActual("../../index"), { virtual: true });

/** The example's stack config, as `pulumi config set` would leave it in Pulumi.<stack>.yaml. */
const STAGING_CONFIG: Record<string, string> = {
  "orion-staging:adminCidrs": JSON.stringify(OFFLINE_DEFAULTS.adminCidrs),
  "orion-staging:sshPublicKeys": JSON.stringify(OFFLINE_DEFAULTS.sshPublicKeys),
};
const STAGING_SECRETS: Record<string, string> = Object.fromEntries(
  ["dbPassword", "flowerPassword", "grafanaPassword", "backupAccessKey", "backupSecretKey", "backupPassphrase"].map(
    (key) => [`orion-staging:${key}`, `staging-${key}-4e1f`],
  ),
);

// The example deploys with orion-infra's own images.lock.json, as a user's program does. Here it is the file
// as it is once `npm run images -- --update` has run (no registry is reached from the tests), as in every
// offline run of orion-infra's program (offline/orion.ts); the committed file without digests stops `pulumi up`.
jest.spyOn(images, "committedLock").mockReturnValue(OFFLINE_LOCK);

describe("examples/staging, a program that imports orion-infra, under mocks as `pulumi up` runs it", () => {
  let run: MockRun;
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a program registers its resources when loaded: it must load after the mocks are set
    run = await runUnderMocks(() => require("../../examples/staging") as Record<string, unknown>, {
      config: { ...STAGING_CONFIG, ...STAGING_SECRETS },
      secretKeys: Object.keys(STAGING_SECRETS),
      project: "orion-staging",
      stack: "staging",
      preview: false,
      // The registries' answers: the locked digests (no drift), a stand-in for the app image's tag.
      registryDigest: (image) => images.lockedDigests(OFFLINE_LOCK)[image] ?? standInDigest(image),
    });
  });

  it("builds the growth stage's one server, named for staging at Hetzner and in Pulumi", () => {
    expect(
      run.resources.filter((r) => r.type === SERVER).map((r) => [r.name, r.inputs.name, r.inputs.serverType]),
    ).toEqual([["staging-app", "orion-staging-app", "cax21"]]);
  });

  it("deploys Celery's worker with the limit it overrides, 1,536 MB, and every other service at growth's limit", () => {
    const services = deployedCompose(run, "staging-app").services;
    expect(services["celery-worker"].mem_limit).toBe("1536m");
    expect(services["celery-beat"].mem_limit).toBe("256m");
  });

  it("exports what the override costs in headroom on the app server: 512 MB", () => {
    const headroom = run.outputs.headroomMb as { asGuided: number; staging: number };
    expect(headroom.asGuided - headroom.staging).toBe(512);
    expect(run.outputs.monthlyCostEur).toBeGreaterThan(0);
  });

  it("keeps its secrets out of every plain property", () => {
    const plain = run.resources.flatMap((r) => plainStrings(r.inputs).map((p) => p.text)).join("\n");
    for (const secret of Object.values(STAGING_SECRETS)) expect(plain).not.toContain(secret);
  });
});
