import type { Deployment } from "../lib/stack";
import { keyOf, type ComposeService } from "./compose";

/** Where a setting comes from: a line of a deployed file, or the service's command in the compose file. */
export interface Setting {
  value: string;
  file: string;
  line?: number;
  key: string;
}

/** A setting on the service's command line, located in the compose file. */
export function commandSetting(
  deployment: Deployment,
  service: ComposeService,
  composePath: string,
): Omit<Setting, "value"> {
  const path = ["services", service.name, "command"];
  return { file: composePath, line: deployment.compose?.lineOf(path), key: keyOf(path) };
}

/** A setting of the service's environment, located in the compose file. */
export function environmentSetting(
  deployment: Deployment,
  service: ComposeService,
  composePath: string,
  name: string,
): Setting | undefined {
  if (!(name in service.environment)) return undefined;
  const path = ["services", service.name, "environment", name];
  return {
    value: service.environment[name],
    file: composePath,
    line: deployment.compose?.lineOf(path),
    key: keyOf(path),
  };
}
