import { dataHeldBy } from "../lib/servers";
import { VOLUME_TYPE } from "../lib/stack";
import { stackCheck, type OrionStackPolicy } from "../lib/policy";

/**
 * What holds data must survive a mistaken `pulumi destroy` and a click in the
 * Hetzner console: Pulumi `protect` and Hetzner delete protection, and for
 * servers rebuild protection too. A server holds data when a volume is
 * attached to it, its compose file keeps a named volume or writes to a
 * mounted disk, or its role says so.
 */
export const statefulEnforceProtection: OrionStackPolicy = {
  name: "stateful-enforce-protection",
  description:
    "Volumes and servers that hold data must have Pulumi protect and Hetzner delete (and rebuild) protection.",
  enforcementLevel: "mandatory",
  reads: [
    "hcloud Volume: `deleteProtection`, protect",
    "hcloud Server: `deleteProtection`, `rebuildProtection`, protect, label `orion-role`",
    "hcloud VolumeAttachment",
    "compose file: named volumes and bind mounts under /mnt",
  ],
  validateStack: stackCheck((view, report) => {
    for (const v of view.resources.filter((r) => r.type === VOLUME_TYPE)) {
      const missing = [
        ...(v.protect ? [] : ["Pulumi protect"]),
        ...(v.props.deleteProtection === true ? [] : ["deleteProtection"]),
      ];
      if (missing.length > 0)
        report({
          resource: `volume ${v.name}`,
          urn: v.urn,
          problem: `holds data but lacks ${missing.join(" and ")}`,
          fix: "set deleteProtection: true and the resource option protect: true",
        });
    }
    for (const server of view.servers) {
      const reasons = dataHeldBy(server);
      if (reasons.length === 0) continue;
      const missing = [
        ...(server.protect ? [] : ["Pulumi protect"]),
        ...(server.props.deleteProtection === true ? [] : ["deleteProtection"]),
        ...(server.props.rebuildProtection === true ? [] : ["rebuildProtection"]),
      ];
      if (missing.length > 0)
        report({
          server: server.name,
          urn: server.urn,
          problem: `holds data (${reasons[0]}) but lacks ${missing.join(", ")}`,
          fix: "set deleteProtection and rebuildProtection to true and the resource option protect: true",
        });
    }
  }),
};
