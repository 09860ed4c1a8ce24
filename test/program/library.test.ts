import { spawnSync } from "node:child_process";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  OrionPlatform,
  OrionPlatformArgsError,
  PLATFORM_TOKEN,
  type OrionPlatformArgs,
  type OrionSecrets,
} from "../../index";
import { runUnderMocks, type MockRun } from "../../offline/mock-run";
import * as images from "../../model/images";
import {
  OFFLINE_DEFAULTS,
  OFFLINE_LOCK,
  OFFLINE_SECRETS,
  pulumiConfigMap,
  runOrion,
  standInDigest,
} from "../../offline/orion";
import { unwrap } from "../../offline/wire";
import { deployedCompose, SERVER } from "./support";

const ROOT = join(__dirname, "..", "..");

const secrets: OrionSecrets = {
  dbPassword: pulumi.secret("library-db-password-1d2e"),
  flowerPassword: pulumi.secret("library-flower-password-3f4a"),
  grafanaPassword: pulumi.secret("library-grafana-password-5b6c"),
  backupAccessKey: pulumi.secret("library-backup-access-7d8e"),
  backupSecretKey: pulumi.secret("library-backup-secret-9f0a"),
  backupPassphrase: pulumi.secret("library-backup-passphrase-1b2c"),
};

/** A platform a user would write: real addresses and keys, a receiver for alerts, a bucket for backups. */
const ready = (stage: OrionPlatformArgs["stage"], extra: Partial<OrionPlatformArgs> = {}): OrionPlatformArgs => ({
  stage,
  adminCidrs: OFFLINE_DEFAULTS.adminCidrs as string[],
  sshPublicKeys: OFFLINE_DEFAULTS.sshPublicKeys as string[],
  alertEmail: "ops@orion.invalid",
  smtpFrom: "alerts@orion.invalid",
  smtpSmarthost: "smtp.orion.invalid:587",
  domain: "orion-shop.de",
  backupBucket: "orion-library-backups",
  secrets,
  // images.lock.json as it is once `npm run images -- --update` has run, as in every offline run (offline/orion.ts).
  imageLock: OFFLINE_LOCK,
  ...extra,
});

/** Mocks that answer as the registries would: the lock's digest for a locked image (no drift), a stand-in for the app image. */
const mocked = (preview: boolean) => ({
  config: {},
  preview,
  registryDigest: (image: string) => images.lockedDigests(OFFLINE_LOCK)[image] ?? standInDigest(image),
});

/** Hetzner wants these names unique in a project: servers, volumes, networks, firewalls, keys, groups, load balancers, certificates. */
const hetznerNames = (run: MockRun) =>
  run.resources
    .filter((r) => r.type.startsWith("hcloud:") && typeof r.inputs.name === "string")
    .map((r) => `${r.type} ${String(r.inputs.name)}`);
const duplicates = (values: string[]) => values.filter((v, i) => values.indexOf(v) !== i);

describe("the package entry (index.ts)", () => {
  it("creates nothing when imported: outside a Pulumi run, a single resource would throw", () => {
    const script = `const lib = require(${JSON.stringify(join(ROOT, "index.ts"))}); console.log(Object.keys(lib).sort().join(" "));`;
    const result = spawnSync(process.execPath, ["--require", "tsx/cjs", "-e", script], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split(" ")).toEqual(
      expect.arrayContaining([
        "OrionPlatform",
        "OrionServer",
        "ApiLoadBalancer",
        "parseConfig",
        "plan",
        "orionProgram",
      ]),
    );
  });

  it("is not the program: Pulumi.yaml's main names stack.ts, which builds the same stack as orion-infra's program", async () => {
    const { parse } = await import("yaml");
    const { readFileSync } = await import("node:fs");
    expect(parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")).main).toBe("stack.ts");
    const config = { ...pulumiConfigMap({ ...OFFLINE_DEFAULTS, stage: "scale" }), ...OFFLINE_SECRETS };
    // stack.ts reads the committed images.lock.json; here, as runOrion's, the file once `npm run images -- --update` has run.
    const committed = jest.spyOn(images, "committedLock").mockReturnValue(OFFLINE_LOCK);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a program registers its resources when loaded: it must load after the mocks are set
    const viaEntry = await runUnderMocks(() => require("../../stack"), {
      ...mocked(false),
      config,
      secretKeys: Object.keys(OFFLINE_SECRETS),
    }).finally(() => committed.mockRestore());
    const viaProgram = await runOrion({ stage: "scale" }, { preview: false });
    expect(viaEntry.resources.map((r) => r.urn).sort()).toEqual(viaProgram.resources.map((r) => r.urn).sort());
    expect(Object.keys(viaEntry.outputs).sort()).toEqual(Object.keys(viaProgram.outputs).sort());
  });
});

describe("OrionPlatform in a user's program", () => {
  let both: MockRun;
  beforeAll(async () => {
    both = await runUnderMocks(() => {
      new OrionPlatform("staging", ready("growth", { namePrefix: "orion-staging" }));
      new OrionPlatform("production", ready("scale", { namePrefix: "orion-production" }));
    }, mocked(false));
  });

  it("names every child after its platform, so two platforms in one program share no URN", () => {
    const children = both.resources.filter((r) => r.type !== PLATFORM_TOKEN && !r.type.startsWith("pulumi:"));
    expect(duplicates(both.resources.map((r) => r.urn))).toEqual([]);
    for (const r of children)
      expect({ name: r.name, prefixed: /^(staging|production)-/.test(r.name) }).toEqual({
        name: r.name,
        prefixed: true,
      });
    expect(
      both.resources
        .filter((r) => r.type === SERVER)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["production-app", "production-db", "staging-app"]);
  });

  it("gives every Hetzner resource a name that starts with the platform's prefix, so both fit in one Hetzner project", () => {
    const names = hetznerNames(both);
    expect(duplicates(names)).toEqual([]);
    for (const n of names) expect(n).toMatch(/ orion-(staging|production)-/);
    expect(names).toEqual(
      expect.arrayContaining([
        "hcloud:index/server:Server orion-staging-app",
        "hcloud:index/volume:Volume orion-production-pgdata",
      ]),
    );
  });

  it("deploys each platform's own plan: its stage's servers and limits", () => {
    expect(Object.keys(deployedCompose(both, "production-db").services)).toContain("db");
    expect(Object.keys(deployedCompose(both, "staging-app").services)).toContain("db");
  });

  it("by role, as orion-infra's own program names them, two platforms would collide: the check above can fail", async () => {
    const byRole = await runUnderMocks(() => {
      new OrionPlatform("one", ready("launch", { namePrefix: "one", childNames: "by-role" }));
      new OrionPlatform("two", ready("launch", { namePrefix: "two", childNames: "by-role" }));
    }, mocked(true));
    expect(duplicates(byRole.resources.map((r) => r.urn))).toContain(
      byRole.resources.find((r) => r.type === SERVER)!.urn,
    );
  });

  it("names Hetzner resources after the component when no prefix is given", async () => {
    const run = await runUnderMocks(() => void new OrionPlatform("staging", ready("launch")), mocked(true));
    expect(run.resources.find((r) => r.type === SERVER)!.inputs.name).toBe("staging-app");
  });

  it("exposes its plan, and sends the secrets it was given only inside the secret env file", async () => {
    let platform: OrionPlatform | undefined;
    const run = await runUnderMocks(
      () => void (platform = new OrionPlatform("staging", ready("launch"))),
      mocked(true),
    );
    expect(platform!.plan.stage).toBe("launch");
    expect(platform!.plan.servers.map((s) => s.name)).toEqual(["app"]);
    const deploy = run.resources.find((r) => r.name === "staging-app-deploy")!;
    expect(JSON.stringify(deploy.inputs.create)).not.toContain("library-db-password-1d2e");
    expect(String(unwrap(deploy.inputs.stdin))).toContain("library-db-password-1d2e");
  });

  it("hands the app its own settings and secrets (appEnv, secrets.appSecrets) through the env file, naming them in the compose file", async () => {
    const args = ready("launch", {
      appEnv: { LOG_LEVEL: "debug" },
      secrets: { ...secrets, appSecrets: { SECRET_KEY: pulumi.secret("library-app-secret-2c3d") } },
    });
    const run = await runUnderMocks(() => void new OrionPlatform("staging", args), mocked(true));
    const deploy = run.resources.find((r) => r.name === "staging-app-deploy")!;
    const stdin = String(unwrap(deploy.inputs.stdin));
    expect(stdin).toContain("SECRET_KEY='library-app-secret-2c3d'");
    expect(stdin).toContain("LOG_LEVEL='debug'");
    expect(JSON.stringify(deploy.inputs.create)).not.toContain("library-app-secret-2c3d");
    expect(JSON.stringify(deploy.inputs.create)).toContain("SECRET_KEY: ${SECRET_KEY}");
  });
});

describe("OrionPlatform's validation", () => {
  /** What a platform's construction throws (its message, or "it was built"), and what the program registered. */
  async function refusal(
    args: OrionPlatformArgs,
    preview = true,
  ): Promise<{ message: string; error: unknown; registered: string[] }> {
    let error: unknown;
    const run = await runUnderMocks(() => {
      try {
        new OrionPlatform("staging", args);
      } catch (thrown) {
        error = thrown;
      }
    }, mocked(preview));
    const registered = run.resources.filter((r) => !r.type.startsWith("pulumi:")).map((r) => r.urn);
    return { message: error instanceof Error ? error.message : "it was built", error, registered };
  }

  it("lists every problem at once, naming the field, the value and what is accepted, before registering anything", async () => {
    const args = {
      ...ready("growht" as never),
      memoryLimits: { api: "lots", celeryworker: "1g" },
      namePrefix: "Staging_1",
      dbPassword: "in plain text",
      secrets: { flowerPassword: secrets.flowerPassword, grafanaPassword: secrets.grafanaPassword },
    } as unknown as OrionPlatformArgs;
    const { message, error, registered } = await refusal(args);
    expect(registered).toEqual([]);
    expect(error).toBeInstanceOf(OrionPlatformArgsError);
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect(message).toMatch(/^OrionPlatform "staging": \d+ problems in its args:\n/);
    for (const line of [
      '  - stage "growht" is not a stage; did you mean growth?',
      '  - memoryLimits.api "lots" is not a memory size; use a number of MB (512) or a compose size such as 512m or 1g',
      "  - memoryLimits.celeryworker is not a service; did you mean celery-worker?",
      '  - namePrefix "Staging_1" is not a name prefix Hetzner accepts; use lowercase letters, digits and dashes',
      "  - dbPassword is a secret; pass it as secrets.dbPassword",
      "  - secrets.dbPassword is missing",
    ])
      expect(message).toContain(line);
    expect(message).not.toContain("orion:");
    expect((error as OrionPlatformArgsError).errors.map((e) => e.propertyPath)).toEqual(
      expect.arrayContaining(["stage", "memoryLimits.api", "namePrefix", "secrets.dbPassword"]),
    );
  });

  it("refuses limits that overflow the server, as npm run plan does, naming the field", async () => {
    const { message } = await refusal(ready("launch", { memoryLimits: { "celery-worker": "3g" } }));
    expect(message).toMatch(
      /^OrionPlatform "staging": .*server app \(cax11, 4,096 MB RAM\) overflows by [\d,]+ MB.*lower memoryLimits or replicas for celery-worker/s,
    );
  });

  it("needs the backup keys when it has a bucket", async () => {
    const { message } = await refusal(
      ready("launch", { secrets: { dbPassword: "a", flowerPassword: "b", grafanaPassword: "c" } }),
    );
    for (const key of ["backupAccessKey", "backupSecretKey", "backupPassphrase"])
      expect(message).toContain(`secrets.${key} is missing; backupBucket needs`);
  });

  it("previews a platform with placeholders, and stops `pulumi up` before creating anything", async () => {
    const placeholders: OrionPlatformArgs = {
      stage: "launch",
      secrets: { dbPassword: "a", flowerPassword: "b", grafanaPassword: "c" },
    };
    expect((await refusal(placeholders, true)).message).toBe("it was built");
    const up = await refusal(placeholders, false);
    expect(up.message).toMatch(
      /^pulumi up stops before changing anything:\n {2}- orion:alertEmail and the secret orion:alertWebhookUrl are both unset/,
    );
    expect(up.message).toContain("  - orion:backupBucket is not set");
    expect(up.registered).toEqual([]);
  });
});
