import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ARM_LOCATIONS, SERVER_TYPE_NAMES, isArmLocation, isServerTypeName } from "../../model/catalog";
import { budgetOf, SERVER_TYPE } from "../lib/records";

/** Orion runs on Hetzner's ARM (CAX) servers, which exist only in some locations. */
export const serverDisallowNonArm: ResourceValidationPolicy = {
  name: "server-disallow-non-arm",
  description: "Servers must be ARM (CAX) types in a location that offers them.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const budget = budgetOf(args.type, args.props);
    const subject =
      args.type === SERVER_TYPE
        ? { server: args.name, type: String(args.props.serverType), location: args.props.location as string | undefined }
        : budget
          ? { server: budget.server, type: budget.serverType, location: budget.location }
          : undefined;
    if (!subject) return;
    if (!isServerTypeName(subject.type)) {
      report(`server ${subject.server}: type ${subject.type} is not an ARM (CAX) type; use one of ${SERVER_TYPE_NAMES.join(", ")}`);
    }
    if (subject.location !== undefined && !isArmLocation(subject.location)) {
      report(`server ${subject.server}: location ${subject.location} offers no ARM (CAX) servers; use one of ${ARM_LOCATIONS.join(", ")}`);
    }
  },
};
