import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BOOT_BUDGET_SECONDS, dialErrorLimitFor, dialRetrySeconds } from "../../model/boot";
import { planSshKeys, sshFingerprint } from "../../model/ssh-keys";
import { STAGE_NAMES, type StageName } from "../../model/stages";
import type { ExistingState, MockRun, RecordedResource } from "../../offline/mock-run";
import { byName, OFFLINE_DEFAULTS, runOrion } from "../../offline/orion";
import { replacingFields } from "../../offline/replace-rules";
import { unwrap } from "../../offline/wire";
import { DEPLOY, ofType, SERVER } from "./support";

const PLACEMENT = "hcloud:index/placementGroup:PlacementGroup";
const SSH_KEY = "hcloud:index/sshKey:SshKey";
const OPERATOR_KEY = (OFFLINE_DEFAULTS.sshPublicKeys as string[])[0];
// Each test runs the program or a CLI several times; a loaded machine must not fail it.
jest.setTimeout(180_000);

const runs = {} as Record<StageName, MockRun>;
beforeAll(async () => {
  for (const stage of STAGE_NAMES) runs[stage] = await runOrion({ stage }, { preview: false });
});

/** The resources a resource waits for: explicit dependencies and those through its inputs. */
const waitsFor = (r: RecordedResource) => new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()]);
const hetznerNames = (run: MockRun) =>
  run.resources
    .filter((r) => r.custom && typeof r.inputs.name === "string" && r.type.startsWith("hcloud:"))
    .map((r) => String(r.inputs.name));

describe("placement groups: Hetzner adds a server to a group only while it is off", () => {
  it("creates launch's single server in the spread group", () => {
    const [group] = ofType(runs.launch, PLACEMENT);
    expect(group.inputs).toMatchObject({ name: "orion-prod-spread", type: "spread" });
    expect(byName(runs.launch, SERVER, "app").propertyDependencies.placementGroupId).toEqual([group.urn]);
  });

  it.each(STAGE_NAMES)(
    "gives every %s server its group at creation and never changes it on a running server",
    (stage) => {
      for (const server of ofType(runs[stage], SERVER)) {
        expect({ server: server.name, grouped: server.propertyDependencies.placementGroupId?.length }).toEqual({
          server: server.name,
          grouped: 1,
        });
        expect(server.ignoreChanges).toContain("placementGroupId");
      }
    },
  );

  it("keeps the app server in the same group in every stage, so no move asks for an add or a remove", () => {
    const groups = new Set(
      STAGE_NAMES.map((stage) => byName(runs[stage], SERVER, "app").propertyDependencies.placementGroupId[0]),
    );
    expect(groups.size).toBe(1);
  });
});

describe("SSH keys: Hetzner refuses a second key with the same fingerprint or name", () => {
  const fingerprint = sshFingerprint(OPERATOR_KEY);
  const projectKey = (labels: Record<string, string>, name: string): ExistingState => ({
    sshKeys: [{ id: 4711, name, fingerprint, publicKey: OPERATOR_KEY, labels }],
  });

  it("computes Hetzner's fingerprint as ssh-keygen -E md5 does", () => {
    const dir = mkdtempSync(join(tmpdir(), "orion-key-"));
    for (const type of ["ed25519", "rsa"]) {
      expect(
        spawnSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "test@orion", "-f", join(dir, type)]).status,
      ).toBe(0);
      const keygen = spawnSync("ssh-keygen", ["-l", "-E", "md5", "-f", join(dir, `${type}.pub`)], { encoding: "utf8" });
      expect(keygen.status).toBe(0);
      expect(keygen.stdout).toContain(`MD5:${sshFingerprint(readFileSync(join(dir, `${type}.pub`), "utf8"))} `);
    }
  });

  it("uses a key the operator uploaded to the project instead of creating it again", async () => {
    const run = await runOrion({ stage: "launch" }, { preview: false, existing: projectKey({}, "laptop") });
    expect(ofType(run, SSH_KEY)).toEqual([]);
    expect(unwrap(byName(run, SERVER, "app").inputs.sshKeys)).toEqual(["4711"]);
  });

  it("creates a key Hetzner does not have, under a name of the stack that changes with the key", async () => {
    const key = byName(runs.launch, SSH_KEY, "operator-1");
    expect(key.inputs).toMatchObject({
      name: `orion-prod-operator-${fingerprint.replace(/:/g, "").slice(0, 8)}`,
      labels: { "orion-stack": "orion-prod" },
    });
    const other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICRpyVxTJt6cclUDVX2jTI+uD83E9L0wQj+kGAVeUHZ/ rotated@orion";
    const rotated = byName(
      await runOrion({ stage: "launch", sshPublicKeys: [other] }, { preview: false }),
      SSH_KEY,
      "operator-1",
    );
    // A new public key replaces the resource, creating the new key first: its name differs, so Hetzner takes it.
    expect(replacingFields(SSH_KEY, key.inputs, rotated.inputs)).toEqual(["publicKey"]);
    expect(rotated.inputs.name).not.toBe(key.inputs.name);
  });

  it("keeps managing the key it created, and the one a stack created before name prefixes", async () => {
    const ours = await runOrion(
      { stage: "launch" },
      { preview: false, existing: projectKey({ "orion-stack": "orion-prod" }, "orion-prod-operator-x") },
    );
    expect(ofType(ours, SSH_KEY).map((k) => k.name)).toEqual(["operator-1"]);
    const legacy = {
      ...projectKey({}, "orion-operator-1"),
      outputs: { stage: "launch", servers: { app: { type: "cax11", ipv4Address: "203.0.113.9" } } },
    };
    expect(
      ofType(await runOrion({ stage: "launch" }, { preview: false, existing: legacy }), SSH_KEY).map((k) => k.name),
    ).toEqual(["operator-1"]);
    // A new stack sharing the project does not take the old stack's key: it uses it.
    expect(
      planSshKeys(
        [OPERATOR_KEY],
        legacy.sshKeys!.map((k) => ({ ...k, id: String(k.id) })),
        "orion-staging",
        false,
      ),
    ).toEqual([{ action: "reuse", id: "4711", name: "orion-operator-1", fingerprint }]);
  });
});

describe("names: two stacks share one Hetzner project", () => {
  it("starts every Hetzner name with the stack's prefix, project and stack by default", async () => {
    for (const stage of STAGE_NAMES) for (const name of hetznerNames(runs[stage])) expect(name).toMatch(/^orion-prod-/);
    const prod = await runOrion({ stage: "enterprise", domain: "api.orion-stores.de" }, { preview: false });
    const prodNames = new Set(hetznerNames(prod));
    const staging = hetznerNames(
      await runOrion(
        { stage: "enterprise", domain: "api.orion-stores.de", namePrefix: "orion-staging" },
        { preview: false },
      ),
    );
    expect(staging.filter((n) => prodNames.has(n))).toEqual([]);
    for (const server of ofType(prod, SERVER))
      expect(server.inputs.labels).toMatchObject({ "orion-stack": "orion-prod" });
  });

  it("keeps every URN when the prefix changes, and replaces nothing: a stack from before prefixes renames its resources in place", async () => {
    for (const stage of ["launch", "enterprise"] as const) {
      const legacy = await runOrion({ stage, namePrefix: "orion" }, { preview: false });
      const now = runs[stage];
      expect(legacy.resources.map((r) => r.urn).sort()).toEqual(now.resources.map((r) => r.urn).sort());
      expect(byName(legacy, SERVER, "app").inputs.name).toBe("orion-app");
      const replaced = now.resources
        .filter((r) => r.custom)
        .flatMap((r) => {
          const before = legacy.resources.find((x) => x.urn === r.urn)!;
          return replacingFields(r.type, before.inputs, r.inputs, r.ignoreChanges).map((f) => `${r.name}.${f}`);
        });
      expect(replaced).toEqual([]);
    }
  });
});

describe("rescale: the provider powers a running server off hard before it changes the type", () => {
  let move: MockRun;
  beforeAll(async () => {
    move = await runOrion({ stage: "scale" }, { preview: false, existing: { outputs: runs.growth.outputs } });
  });

  it("stops app's compose project over SSH before Hetzner touches the server, at the address the last update left", () => {
    const stop = byName(move, DEPLOY, "app-stop-for-rescale");
    const previous = (runs.growth.outputs.servers as Record<string, { ipv4Address: string }>).app.ipv4Address;
    expect(unwrap(stop.inputs.connection)).toMatchObject({ host: previous, user: "deploy" });
    expect(waitsFor(byName(move, SERVER, "app")).has(stop.urn)).toBe(true);
    const script = String(unwrap(stop.inputs.create));
    const order = [
      "celery-beat api flower",
      "celery-worker",
      "pgbouncer db db-replica redis",
      "prometheus grafana alertmanager",
      "compose stop\nsync",
    ];
    const at = order.map((step) => script.indexOf(step));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((x, y) => x - y)).toEqual(at);
  });

  it("brings it back with the deploy, which runs again after the rescale", () => {
    const deploy = byName(move, DEPLOY, "app-deploy");
    expect(waitsFor(deploy).has(byName(move, SERVER, "app").urn)).toBe(true);
    expect(replacingFields(DEPLOY, byName(runs.growth, DEPLOY, "app-deploy").inputs, deploy.inputs)).toEqual([
      "triggers",
    ]);
  });

  it("stops nothing on a new stack or when the type stays", async () => {
    expect(ofType(runs.growth, DEPLOY).filter((c) => c.name.endsWith("-stop-for-rescale"))).toEqual([]);
    const same = await runOrion(
      { stage: "growth" },
      { preview: false, existing: { outputs: runs["early-growth"].outputs } },
    );
    expect(ofType(same, DEPLOY).filter((c) => c.name.endsWith("-stop-for-rescale"))).toEqual([]);
  });
});

describe("a new server: cloud-init must finish before anything is deployed", () => {
  it("was given 30 dials, about 111 s: less than the 5 to 10 minutes cloud-init takes", () => {
    expect(dialRetrySeconds(30)).toBeCloseTo(111.3, 0);
    expect(dialRetrySeconds(30)).toBeLessThan(5 * 60);
  });

  it.each(STAGE_NAMES)(
    "in %s, waits as root for cloud-init on every server, and every other step on it waits for that",
    (stage) => {
      for (const server of ofType(runs[stage], SERVER)) {
        const wait = byName(runs[stage], DEPLOY, `${server.name}-cloud-init`);
        const connection = unwrap(wait.inputs.connection) as { user: string; dialErrorLimit: number };
        expect(connection.user).toBe("root");
        expect(dialRetrySeconds(connection.dialErrorLimit)).toBeGreaterThanOrEqual(BOOT_BUDGET_SECONDS);
        expect(String(unwrap(wait.inputs.create))).toContain("cloud-init status --wait");
        // The server's steps: the commands of its component.
        for (const step of ofType(runs[stage], DEPLOY).filter((c) => c.parent === server.parent && c !== wait)) {
          expect({ step: step.name, waits: waitsFor(step).has(wait.urn) }).toEqual({ step: step.name, waits: true });
          expect((unwrap(step.inputs.connection) as { dialErrorLimit: number }).dialErrorLimit).toBe(
            dialErrorLimitFor(BOOT_BUDGET_SECONDS),
          );
        }
      }
    },
  );
});

describe("disk: keepDisk keeps the size the server was created with", () => {
  it("reports the disk Hetzner has in the stack outputs, and grows it only where orion:keepDisk says so", async () => {
    expect((runs.scale.outputs.servers as Record<string, { diskGb: number }>).app.diskGb).toBeDefined();
    expect(byName(runs.scale, SERVER, "app").inputs.keepDisk).toBe(true);
    const grow = await runOrion({ stage: "scale", keepDisk: { app: false } }, { preview: false });
    expect(byName(grow, SERVER, "app").inputs.keepDisk).toBe(false);
    expect(byName(grow, SERVER, "db").inputs.keepDisk).toBe(true);
  });
});
