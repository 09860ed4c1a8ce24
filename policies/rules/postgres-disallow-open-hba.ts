import { PRIVATE_NETWORK, within } from "../lib/addresses";
import { composeAt, forEachCompose, stackCheck, type OrionStackPolicy } from "../lib/policy";
import { postgresConfig } from "../files/postgres";
import { kindOf } from "../files/services";

/** `255.255.255.0` as a prefix length. */
function maskBits(mask: string): number | undefined {
  const parts = mask.split(".").map(Number);
  if (parts.length !== 4) return undefined;
  const bits = parts.map((p) => p.toString(2).padStart(8, "0")).join("");
  return /^1*0*$/.test(bits) ? (bits.indexOf("0") === -1 ? 32 : bits.indexOf("0")) : undefined;
}

/**
 * PostgreSQL admits over the network only the stack's own addresses: each
 * server's private IP (a /32) and the compose project's internal subnet,
 * always with a password. The postgres image's own pg_hba.conf admits every
 * address, so a deploy must bring its own.
 */
export const postgresDisallowOpenHba: OrionStackPolicy = {
  name: "postgres-disallow-open-hba",
  description:
    "pg_hba.conf may admit network clients only from the stack's private IPs and its compose subnet, never with trust.",
  enforcementLevel: "mandatory",
  reads: [
    "compose file: PostgreSQL services' `command` (`config_file`) and bind mounts; the file's network subnets",
    "postgresql.conf: `hba_file`",
    "pg_hba.conf: every `host*` record",
    "hcloud ServerNetwork: `ip`",
  ],
  validateStack: stackCheck((view, report) => {
    const serverIps = view.servers.flatMap((s) => s.privateIps);
    forEachCompose(view, (d) => {
      for (const s of d.compose.services.filter((x) => kindOf(x) === "postgres")) {
        const config = postgresConfig(d, s, d.composePath);
        if (config.missing) continue; // postgres-enforce-memory-settings names the missing file
        if (!config.hba) {
          report({
            ...composeAt(d, ["services", s.name, "command"]),
            problem: `${s.name} uses the image's own pg_hba.conf, which admits every address with a password`,
            fix: "deploy a pg_hba.conf, bind-mount it and name it with hba_file",
          });
          continue;
        }
        const subnets = d.compose.subnets;
        const allowed = (range: string) =>
          subnets.some((n) => within(range, n)) ||
          (serverIps.length > 0
            ? serverIps.some((ip) => range === `${ip}/32` || range === ip)
            : within(range, PRIVATE_NETWORK));
        for (const r of config.hba.records.filter((x) => x.type.startsWith("host"))) {
          const where = {
            server: d.serverName,
            urn: d.command.urn,
            file: config.hba.file,
            line: r.line,
            key: `${r.type} ${r.database} ${r.user} ${r.address ?? ""}`.trim(),
          };
          const range = r.mask ? `${r.address}/${maskBits(r.mask) ?? "?"}` : (r.address ?? "");
          if (r.method === "trust")
            report({ ...where, problem: `${s.name} trusts ${range} without a password`, fix: "use scram-sha-256" });
          if (!allowed(range)) {
            report({
              ...where,
              problem: `${s.name} admits ${range}, which is not a private IP of this stack's servers or the compose subnet (${[...subnets, ...serverIps.map((ip) => `${ip}/32`)].join(", ")})`,
              fix: "admit only the /32 of each server that connects, and the compose subnet",
            });
          }
        }
      }
    });
  }),
};
