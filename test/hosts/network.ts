import { statSync } from "node:fs";
import { run } from "./run";
import { record, type RunDir } from "./state";

/**
 * The bed's networks live in namespaces it creates, never in the machine's
 * own: a switch namespace holds two bridges, `pub` (the internet side, one
 * "public" address per host in 203.0.113.0/24, TEST-NET-3) and `priv` (the
 * Hetzner private network, 10.0.1.0/24 as in the plan). Each host gets a veth
 * on each: eth0 public, eth1 private. Nothing routes out of the switch, so no
 * packet leaves the bed.
 */

export const PUBLIC_PREFIX = 24;
export const PRIVATE_PREFIX = 24;
/** The operator's machine on the internet side: where `pulumi up` connects from and public probes start. */
export const OPERATOR_IP = "203.0.113.2";
/** A neighbour on the private network that is not a server of the plan: where private-network probes start. */
export const NEIGHBOUR_IP = "10.0.1.254";

export interface Namespace {
  /** `ip netns` name. */
  name: string;
  path: string;
  /** `net:[inode]`, to find the processes inside. */
  id: string;
}

export async function addNamespace(runDir: RunDir, name: string): Promise<Namespace> {
  await run("ip", ["netns", "add", name]);
  record(runDir, { kind: "netns", name });
  const path = `/run/netns/${name}`;
  await run("ip", ["-n", name, "link", "set", "lo", "up"]);
  // The bind-mounted namespace file has the namespace's inode, which /proc/PID/ns/net names as net:[inode].
  return { name, path, id: `net:[${statSync(path).ino}]` };
}

export class Switch {
  private ports = 0;
  private constructor(
    readonly runDir: RunDir,
    readonly ns: Namespace,
  ) {}

  static async create(runDir: RunDir): Promise<Switch> {
    const ns = await addNamespace(runDir, `otb-${runDir.id}-switch`);
    for (const bridge of ["pub", "priv"]) {
      await run("ip", ["-n", ns.name, "link", "add", bridge, "type", "bridge"]);
      await run("ip", ["-n", ns.name, "link", "set", bridge, "up"]);
    }
    return new Switch(runDir, ns);
  }

  /** Plugs a namespace into a bridge: `ifname` inside it, with the address given. */
  async plug(target: Namespace, ifname: string, bridge: "pub" | "priv", cidr: string): Promise<void> {
    this.ports += 1;
    const peer = `p${this.ports}${bridge}`;
    // Both ends are created straight in their namespaces: nothing appears in the machine's own.
    await run("ip", [
      "link",
      "add",
      ifname,
      "netns",
      target.name,
      "type",
      "veth",
      "peer",
      "name",
      peer,
      "netns",
      this.ns.name,
    ]);
    await run("ip", ["-n", this.ns.name, "link", "set", peer, "master", bridge]);
    await run("ip", ["-n", this.ns.name, "link", "set", peer, "up"]);
    await run("ip", ["-n", target.name, "addr", "add", cidr, "dev", ifname]);
    await run("ip", ["-n", target.name, "link", "set", ifname, "up"]);
  }
}
