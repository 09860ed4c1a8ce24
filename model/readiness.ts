import ipaddr from "ipaddr.js";
import { CONFIG_NAMESPACE, type OrionConfig } from "./config";
import type { Finding } from "./plan-types";

/**
 * What `pulumi up` must not deploy although `pulumi preview` may show it:
 * the placeholders of the committed stack file, and alerts with nowhere to go.
 * The plan warns; the program stops `pulumi up` on these findings.
 */

/** Address ranges reserved for documentation (RFC 5737, RFC 3849): no machine of the operator has one. */
const DOCUMENTATION_RANGES = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"].map((r) =>
  ipaddr.parseCIDR(r),
);

export function isDocumentationCidr(cidr: string): boolean {
  try {
    const [address] = ipaddr.parseCIDR(cidr);
    return DOCUMENTATION_RANGES.some(([range, bits]) => address.kind() === range.kind() && address.match(range, bits));
  } catch {
    return false;
  }
}

/** Names reserved for examples (RFC 2606): example.com/.net/.org and the .example, .test, .invalid and .localhost domains. */
export function isPlaceholderDomain(domain: string): boolean {
  const name = domain.toLowerCase().replace(/\.$/, "");
  return /(^|\.)example\.(com|net|org)$/.test(name) || /\.(example|test|invalid|localhost)$/.test(name);
}

/** The length-prefixed fields of an OpenSSH public key's data (RFC 4253 section 6.6), or undefined if it does not parse. */
function sshKeyFields(data: Buffer): Buffer[] | undefined {
  const fields: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    if (at + 4 > data.length) return undefined;
    const length = data.readUInt32BE(at);
    if (at + 4 + length > data.length) return undefined;
    fields.push(data.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return fields;
}

/**
 * A line that looks like a key but holds none: its data does not name its own
 * algorithm, or an Ed25519 key is not 32 bytes. The committed Pulumi.prod.yaml
 * key is such a line ("replace-me-with-your-key" in base64).
 */
export function isPlaceholderSshKey(line: string): boolean {
  const [algorithm, base64] = line.trim().split(/\s+/);
  const fields = sshKeyFields(Buffer.from(base64 ?? "", "base64"));
  if (!fields || fields.length < 2 || fields[0].toString("latin1") !== algorithm) return true;
  if (algorithm === "ssh-ed25519") return fields.length !== 2 || fields[1].length !== 32;
  return false;
}

const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;

export function readinessFindings(config: OrionConfig): Finding[] {
  const out: Finding[] = [];
  const documentation = config.adminCidrs.filter(isDocumentationCidr);
  if (documentation.length > 0) {
    out.push({
      severity: "warning",
      blocksUp: true,
      key: key("adminCidrs"),
      message: `holds ${documentation.join(", ")}, an address range reserved for documentation (a placeholder); put in the addresses of your team and CI runner`,
    });
  }
  const fakeKeys = config.sshPublicKeys.filter(isPlaceholderSshKey);
  if (fakeKeys.length > 0) {
    out.push({
      severity: "warning",
      blocksUp: true,
      key: key("sshPublicKeys"),
      message: `holds ${fakeKeys.length === 1 ? "a line that is" : `${fakeKeys.length} lines that are`} not a real public key (a placeholder); put in the .pub line of the key \`pulumi up\` deploys with`,
    });
  }
  if (config.domain !== undefined && isPlaceholderDomain(config.domain)) {
    out.push({
      severity: "warning",
      blocksUp: true,
      key: key("domain"),
      message: `is ${config.domain}, a name reserved for examples (a placeholder); put in the host name your API is served at`,
    });
  }
  if (!config.alertEmail && !config.alertWebhook && !config.noAlertReceiver) {
    out.push({
      severity: "warning",
      blocksUp: true,
      key: key("alertEmail"),
      message: `and the secret ${key("alertWebhookUrl")} are both unset, so alerts reach no one; set one, or set ${key("noAlertReceiver")} true to deploy without a receiver on purpose`,
    });
  }
  return out;
}
