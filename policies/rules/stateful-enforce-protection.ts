import type { ResourceValidationPolicy } from "@pulumi/policy";
import { STATEFUL_ROLES, type ServerRole } from "../../model/stages";
import { SERVER_TYPE, VOLUME_TYPE } from "../lib/records";

/**
 * A stateful resource must survive a mistaken `pulumi destroy` and a click in
 * the Hetzner console: Pulumi `protect` and Hetzner delete protection, and for
 * servers rebuild protection too.
 */
export const statefulEnforceProtection: ResourceValidationPolicy = {
  name: "stateful-enforce-protection",
  description: "Volumes and servers that hold data must have Pulumi protect and Hetzner delete (and rebuild) protection.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const missing: string[] = [];
    if (args.type === VOLUME_TYPE) {
      if (!args.opts.protect) missing.push("Pulumi protect");
      if (args.props.deleteProtection !== true) missing.push("deleteProtection");
      if (missing.length > 0) report(`volume ${args.name} holds data but lacks ${missing.join(" and ")}`);
    }
    if (args.type === SERVER_TYPE) {
      const labels = (args.props.labels ?? {}) as Record<string, string>;
      const role = labels["orion-role"] as ServerRole | undefined;
      if (!role || !STATEFUL_ROLES.includes(role)) return;
      if (!args.opts.protect) missing.push("Pulumi protect");
      if (args.props.deleteProtection !== true) missing.push("deleteProtection");
      if (args.props.rebuildProtection !== true) missing.push("rebuildProtection");
      if (missing.length > 0) report(`server ${args.name} (${role}) holds data but lacks ${missing.join(", ")}`);
    }
  },
};
