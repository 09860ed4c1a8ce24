import { isLoopback, PRIVATE_NETWORK, within } from "../lib/addresses";
import { composeAt, forEachCompose, stackCheck, type OrionStackPolicy } from "../lib/policy";
import { DATA_OR_ADMIN_KINDS, kindOf } from "../files/services";

/** Ports the web entry point (Caddy) answers the internet on. */
const WEB_PORTS = ["80", "443"];

/**
 * Docker publishes ports past the host firewall, so a published port must
 * bind loopback (for Caddy on the host) or the server's own private IP (for
 * other servers). Only Caddy may answer 80 and 443 on a public address.
 */
export const serviceDisallowPublicPort: OrionStackPolicy = {
  name: "service-disallow-public-port",
  description:
    "Containers may publish ports only on loopback or their server's private IP; no data or admin service on 0.0.0.0, a public address or the host's network.",
  enforcementLevel: "mandatory",
  reads: [
    "compose file: `services.*.ports` (short and long syntax), `network_mode`",
    "hcloud ServerNetwork: `ip` (each server's private IP)",
  ],
  validateStack: stackCheck((view, report) => {
    forEachCompose(view, (d) => {
      const privateIps = d.server?.privateIps ?? [];
      const allowed = (host: string) =>
        isLoopback(host) || (privateIps.length > 0 ? privateIps.includes(host) : within(host, PRIVATE_NETWORK));
      const privateHint = privateIps[0] ?? "the server's private IP";
      for (const s of d.compose.services) {
        const kind = kindOf(s);
        const sensitive = DATA_OR_ADMIN_KINDS.includes(kind);
        const what = sensitive ? `${s.name} (${kind}, a data or admin service)` : s.name;
        if (s.networkMode === "host" && sensitive) {
          report({
            ...composeAt(d, ["services", s.name, "network_mode"]),
            problem: `${what} runs on the host's network, so every port it listens on is open on the public address`,
            fix: "remove network_mode: host and publish only the ports other servers need, on the private IP",
          });
        }
        for (const port of s.ports) {
          if (port.hostIp !== undefined && allowed(port.hostIp)) continue;
          if (kind === "caddy" && WEB_PORTS.includes(port.published ?? "")) continue;
          const bound =
            port.hostIp === undefined || port.hostIp === ""
              ? "every interface"
              : port.hostIp === "0.0.0.0" || port.hostIp === "::"
                ? `${port.hostIp} (every interface)`
                : `${port.hostIp}, which is not this server's loopback or private IP`;
          report({
            ...composeAt(d, port.path),
            problem: `${what} publishes ${port.text} on ${bound}; Docker opens it past the firewall`,
            fix: `bind it to 127.0.0.1 ("127.0.0.1:${port.published ?? port.target}:${port.target}") or to ${privateHint} ("${privateHint}:${port.published ?? port.target}:${port.target}")`,
          });
        }
      }
    });
  }),
};
