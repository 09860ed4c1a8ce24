import { ARM_LOCATIONS, SERVER_TYPE_NAMES, isArmLocation, isServerTypeName } from "../../model/catalog";
import { formatFinding } from "../lib/finding";
import { SERVER_RESOURCE_TYPE } from "../lib/stack";
import type { OrionResourcePolicy } from "../lib/policy";

/** Orion runs on Hetzner's ARM (CAX) servers, which exist only in some locations. */
export const serverDisallowNonArm: OrionResourcePolicy = {
  name: "server-disallow-non-arm",
  description: "Servers must be ARM (CAX) types in a location that offers them.",
  enforcementLevel: "mandatory",
  reads: ["hcloud Server: `serverType`, `location`"],
  validateResource: (args, report) => {
    if (args.type !== SERVER_RESOURCE_TYPE) return;
    const type = String(args.props.serverType);
    const location = args.props.location as string | undefined;
    if (!isServerTypeName(type)) {
      report(
        formatFinding({
          server: args.name,
          key: "serverType",
          problem: `type ${type} is not an ARM (CAX) type`,
          fix: `use one of ${SERVER_TYPE_NAMES.join(", ")}`,
        }),
      );
    }
    if (location !== undefined && !isArmLocation(location)) {
      report(
        formatFinding({
          server: args.name,
          key: "location",
          problem: `location ${location} offers no ARM (CAX) servers`,
          fix: `use one of ${ARM_LOCATIONS.join(", ")}`,
        }),
      );
    }
  },
};
