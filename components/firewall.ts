import type * as hcloud from "@pulumi/hcloud";

const ANYWHERE = ["0.0.0.0/0", "::/0"];

/**
 * SSH only from the admin CIDRs; nothing else from the internet. Hetzner
 * firewalls filter public interfaces only, so the private network stays open
 * between the stack's servers, which is where PostgreSQL and Redis listen.
 */
export function sshRules(adminCidrs: string[]): hcloud.types.input.FirewallRule[] {
  if (adminCidrs.length === 0) return [];
  return [
    { direction: "in", protocol: "tcp", port: "22", sourceIps: adminCidrs, description: "SSH from orion:adminCidrs" },
  ];
}

/** HTTP and HTTPS for servers that run Caddy. */
export function webRules(): hcloud.types.input.FirewallRule[] {
  return [
    { direction: "in", protocol: "tcp", port: "80", sourceIps: ANYWHERE, description: "HTTP (Caddy, ACME)" },
    { direction: "in", protocol: "tcp", port: "443", sourceIps: ANYWHERE, description: "HTTPS (Caddy)" },
    { direction: "in", protocol: "icmp", sourceIps: ANYWHERE, description: "ping" },
  ];
}
