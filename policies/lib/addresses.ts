import { NETWORK_CIDR } from "../../model/addresses";

/** An IPv4 address as a number, or undefined. */
export function ipv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.some((o) => o > 255) ? undefined : octets.reduce((n, o) => n * 256 + o, 0);
}

/** `10.0.0.0/16` as a base and a prefix length; a bare address is a /32. */
export function cidr(text: string): { base: number; bits: number } | undefined {
  const [address, bits = "32"] = text.split("/");
  const base = ipv4(address);
  const n = Number(bits);
  return base === undefined || !Number.isInteger(n) || n < 0 || n > 32 ? undefined : { base, bits: n };
}

/** Is the whole of `inner` inside `outer`? */
export function within(inner: string, outer: string): boolean {
  const a = cidr(inner);
  const b = cidr(outer);
  if (!a || !b || a.bits < b.bits) return false;
  const mask = b.bits === 0 ? 0 : (0xffffffff << (32 - b.bits)) >>> 0;
  return (a.base & mask) >>> 0 === (b.base & mask) >>> 0;
}

export const isLoopback = (address: string) =>
  within(address, "127.0.0.0/8") || address === "::1" || address === "localhost";

/** The stack's private network, where the servers' private IPs live. */
export const PRIVATE_NETWORK = NETWORK_CIDR;
