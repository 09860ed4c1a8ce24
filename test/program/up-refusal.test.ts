import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { runOrion } from "../../offline/orion";
import { ROOT } from "../cli/run";

/** The committed stack file as the program reads it: `orion:` keys without their namespace. */
const committed = Object.fromEntries(
  Object.entries(parse(readFileSync(join(ROOT, "Pulumi.prod.yaml"), "utf8")).config as Record<string, unknown>).map(
    ([k, v]) => [k.replace(/^orion:/, ""), v],
  ),
);

describe("the committed Pulumi.prod.yaml, run by the program", () => {
  it("previews with a warning for each placeholder", async () => {
    const run = await runOrion(committed, { withDefaults: false });
    const findings = run.outputs.findings as string[];
    for (const key of ["orion:adminCidrs", "orion:sshPublicKeys", "orion:domain", "orion:alertEmail"])
      expect(findings.some((f) => f.startsWith(`warning: ${key} `))).toBe(true);
    expect(run.resources.some((r) => r.type === "hcloud:index/server:Server")).toBe(true);
  });

  it("stops `pulumi up` before creating anything, naming each placeholder", async () => {
    const failure = await runOrion(committed, { withDefaults: false, preview: false }).then(
      () => "it deployed",
      (error: Error) => error.message,
    );
    expect(failure).toMatch(
      /^pulumi up stops before changing anything:\n {2}- orion:adminCidrs holds 203\.0\.113\.7\/32/,
    );
    for (const key of ["orion:sshPublicKeys", "orion:domain", "orion:alertEmail"])
      expect(failure).toContain(`  - ${key} `);
  });

  it("deploys once the placeholders are replaced and the operator says alerts need no receiver", async () => {
    const ready = {
      ...committed,
      adminCidrs: ["100.64.0.7/32"],
      sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG2E0gZN/BhQKlkAP10bGzzKOZR60PpPoG2/7Uao1Lso ops@orion"],
      domain: "orion.shop",
      noAlertReceiver: true,
    };
    const run = await runOrion(ready, { withDefaults: false, preview: false });
    expect(run.resources.some((r) => r.type === "command:remote:Command" && r.name === "app-deploy")).toBe(true);
  });
});
