import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { isDocumentationCidr, isPlaceholderDomain, isPlaceholderSshKey } from "../../model/readiness";
import { ROOT } from "../cli/run";
import { planFor } from "../helpers";

const REAL_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG2E0gZN/BhQKlkAP10bGzzKOZR60PpPoG2/7Uao1Lso offline@orion";
const committed = parse(readFileSync(join(ROOT, "Pulumi.prod.yaml"), "utf8")).config as Record<string, unknown>;

describe("placeholders that must not reach a server", () => {
  it("knows the documentation address ranges, and nothing else", () => {
    expect(
      ["192.0.2.1/32", "198.51.100.0/24", "203.0.113.7/32", "2001:db8::1/128"].filter(isDocumentationCidr),
    ).toHaveLength(4);
    expect(["100.64.0.7/32", "10.0.0.0/8", "203.0.114.1/32", "2001:db9::/32"].filter(isDocumentationCidr)).toEqual([]);
  });
  it("knows a key line whose data is not a key", () => {
    expect(isPlaceholderSshKey((committed["orion:sshPublicKeys"] as string[])[0])).toBe(true);
    expect(isPlaceholderSshKey(REAL_KEY)).toBe(false);
    expect(isPlaceholderSshKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9mZmxpbmUtcGxhbi1rZXk x")).toBe(true);
    expect(isPlaceholderSshKey(REAL_KEY.replace("ssh-ed25519", "ssh-rsa"))).toBe(true);
  });
  it("knows the names reserved for examples", () => {
    expect(
      ["orion.example.com", "api.example.org", "orion.test", "x.invalid"].filter(isPlaceholderDomain),
    ).toHaveLength(4);
    expect(["orion.shop", "example.community", "myexample.com"].filter(isPlaceholderDomain)).toEqual([]);
  });
});

describe("the committed Pulumi.prod.yaml", () => {
  const raw = Object.fromEntries(Object.entries(committed).map(([k, v]) => [k.replace(/^orion:/, ""), v]));
  const findings = planFor("launch", raw).findings;

  it("plans, with a warning for each placeholder and for alerts that reach no one, each stopping `pulumi up`", () => {
    const blocking = findings.filter((f) => f.blocksUp).map((f) => [f.severity, f.key]);
    expect(blocking).toEqual([
      ["warning", "orion:adminCidrs"],
      ["warning", "orion:sshPublicKeys"],
      ["warning", "orion:domain"],
      ["warning", "orion:alertEmail"],
    ]);
    expect(findings.find((f) => f.key === "orion:adminCidrs")!.message).toContain(
      "203.0.113.7/32, an address range reserved for documentation",
    );
  });

  it("is ready once they are replaced and a receiver is chosen", () => {
    const ready = {
      ...raw,
      adminCidrs: ["100.64.0.7/32"],
      sshPublicKeys: [REAL_KEY],
      domain: "orion.shop",
      alertEmail: "ops@orion.shop",
      smtpFrom: "alerts@orion.shop",
      smtpSmarthost: "smtp.orion.shop:587",
    };
    expect(planFor("launch", ready).findings.filter((f) => f.blocksUp)).toEqual([]);
    expect(
      planFor("launch", { ...ready, alertEmail: "", noAlertReceiver: "true" }).findings.filter((f) => f.blocksUp),
    ).toEqual([]);
  });
});
