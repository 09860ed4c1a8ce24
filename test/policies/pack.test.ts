import { STAGE_NAMES } from "../../model/stages";
import { runOrion } from "../../offline/orion";
import {
  formatDiagnostics,
  PolicyPackProcess,
  POLICY_PACK_DIR,
  type PolicyDiagnostic,
} from "../../offline/policy-check";
import { POLICIES } from "../../policies/rules";
import { caseConfig, deployedFile, lineOf, POLICY_CASES, runCase, tamperFile } from "./support";

/** These go through the pack as the Pulumi CLI runs it: its own process (compiled), over the Analyzer protocol. */
let pack: PolicyPackProcess;
beforeAll(async () => {
  pack = await PolicyPackProcess.start();
}, 180_000); // starting the pack takes seconds alone, minutes on a loaded machine
afterAll(async () => {
  await pack.stop();
});

const summary = (diagnostics: PolicyDiagnostic[]) =>
  diagnostics.map((d) => `${d.enforcementLevel} ${d.policyName}: ${d.message.split("\n").slice(1).join(" ")}`);

describe("the policy pack process", () => {
  it("serves every policy with its enforcement level, from the compiled pack", async () => {
    const info = await pack.info();
    expect(info.name).toBe("orion");
    expect(info.version).toBe("0.1.0");
    expect(info.policies.map((p) => [p.name, p.enforcementLevel]).sort()).toEqual(
      POLICIES.map((p) => [p.name, p.enforcementLevel]).sort(),
    );
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the pack's package.json at its run-time path, as Pulumi reads it
    expect(require(`${POLICY_PACK_DIR}/package.json`).main).toMatch(/\.js$/);
  });

  it.each(STAGE_NAMES)("passes the %s stage's real output with no diagnostic at all", async (stage) => {
    const run = await runOrion({ stage });
    expect(summary(await pack.analyze(run.resources))).toEqual([]);
  });
});

describe("a program edited to deploy a tampered file is blocked", () => {
  const mandatory = POLICY_CASES.filter((c) => !c.config && !c.stackSecrets);
  it.each(mandatory.map((c) => [c.policy, c.title, c] as const))("%s: %s", async (_policy, _title, c) => {
    const run = await runCase(c);
    const diagnostics = await pack.analyze(run.resources);
    const mine = diagnostics.filter((d) => d.policyName === c.policy);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((d) => d.enforcementLevel === "mandatory")).toBe(true);
    if (c.at) {
      const line = lineOf(deployedFile(run, c.at.server, c.at.file), c.at.needle, c.at.after);
      expect(mine.map((d) => d.message).join("\n")).toContain(`server ${c.at.server}, ${c.at.file} line ${line}`);
      // Reported on the deploy command that writes the file, shown as the CLI shows it.
      expect(formatDiagnostics(mine, { name: "orion", version: "0.1.0" })).toContain(
        `[mandatory]  ${c.policy}  (command:remote:Command: ${c.at.server}-deploy)`,
      );
    }
    // Each message once: no policy says the same thing twice about the same resource.
    const keys = diagnostics.map((d) => `${d.policyName}|${d.urn}|${d.message}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("blocks the 0.0.0.0 port with the server, file, line, key and fix", async () => {
    const run = tamperFile(await runOrion({ stage: "scale" }), "db", "compose.yaml", (c) =>
      c.replace("'10.0.1.20:5432:5432'", "'0.0.0.0:5432:5432'"),
    );
    const line = lineOf(deployedFile(run, "db", "compose.yaml"), "0.0.0.0:5432:5432");
    const diagnostics = (await pack.analyze(run.resources)).filter(
      (d) => d.policyName === "service-disallow-public-port",
    );
    expect(diagnostics.map((d) => d.message.split("\n")[1])).toEqual([
      `server db, compose.yaml line ${line} (services.db.ports[0]): db (postgres, a data or admin service) publishes 0.0.0.0:5432:5432 on 0.0.0.0 (every interface); Docker opens it past the firewall. Fix: bind it to 127.0.0.1 ("127.0.0.1:5432:5432") or to 10.0.1.20 ("10.0.1.20:5432:5432").`,
    ]);
  });

  it("still judges what is knowable while server IPs and IDs are unknown, and crashes on nothing", async () => {
    const run = tamperFile(
      await runOrion({ stage: "enterprise" }, { preview: true }),
      "redis",
      "config/redis/redis.conf",
      (c) => c.replace("volatile-lru", "allkeys-lru"),
    );
    expect(JSON.stringify(run.resources)).toContain("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
    const diagnostics = await pack.analyze(run.resources);
    expect(diagnostics.map((d) => d.policyName).sort()).toEqual([
      "deploy-enforce-budget-match",
      "redis-configure-maxmemory",
    ]);
  });

  it("takes policy config as `pulumi preview` passes it", async () => {
    await pack.configure({ "service-disallow-oversized-limit": { maxShareOfRamPct: 40 } });
    const diagnostics = await pack.analyze((await runOrion({ stage: "scale" })).resources);
    await pack.configure({ "service-disallow-oversized-limit": { maxShareOfRamPct: 50 } });
    expect(summary(diagnostics)).toEqual([
      expect.stringMatching(
        /^mandatory service-disallow-oversized-limit: server db, compose\.yaml line \d+ \(services\.db\.mem_limit\): db has a limit of 4,096 MB, above 40% of the cax21's 8,192 MB RAM/,
      ),
    ]);
  });
});

describe("the stack's config, as the CLI hands it to the pack", () => {
  it.each(POLICY_CASES.filter((c) => c.stackSecrets).map((c) => [c.policy, c.title, c] as const))(
    "%s blocks by the secrets' values: %s",
    async (_policy, _title, c) => {
      const withSecrets = await PolicyPackProcess.start(POLICY_PACK_DIR, { config: caseConfig(c) });
      try {
        const untampered = await withSecrets.analyze((await runOrion({ stage: c.stage })).resources);
        const diagnostics = await withSecrets.analyze((await runCase(c)).resources);
        expect(untampered.filter((d) => d.policyName === c.policy)).toEqual([]);
        expect(diagnostics.filter((d) => d.policyName === c.policy).map((d) => d.enforcementLevel)).toEqual([
          "mandatory",
        ]);
      } finally {
        await withSecrets.stop();
      }
    },
    120_000,
  );
  it.each(POLICY_CASES.filter((c) => c.config).map((c) => [c.policy, c.title, c] as const))(
    "%s warns without blocking: %s",
    async (_policy, _title, c) => {
      const advisory = await PolicyPackProcess.start(POLICY_PACK_DIR, { config: caseConfig(c) });
      try {
        const diagnostics = await advisory.analyze((await runCase(c)).resources);
        expect(diagnostics.map((d) => [d.policyName, d.enforcementLevel, d.urn])).toEqual([[c.policy, "advisory", ""]]);
      } finally {
        await advisory.stop();
      }
    },
    120_000,
  );
});
