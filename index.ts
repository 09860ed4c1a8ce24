/**
 * orion-infra as a library: the Orion platform on Hetzner Cloud ARM servers,
 * stage by stage. Importing it creates nothing; a program creates an
 * `OrionPlatform`. The program `pulumi up` runs for this repository's own
 * stack is `stack.ts`.
 *
 * ```ts
 * import { OrionPlatform } from "orion-infra";
 * const platform = new OrionPlatform("staging", { stage: "growth", secrets: { dbPassword, flowerPassword, grafanaPassword } });
 * ```
 */

// The components: the whole platform, and the parts it is made of.
export { OrionPlatform } from "./components/platform";
export type { ChildNames, OrionPlatformArgs, OrionSecrets, OrionSettings } from "./components/platform-args";
export { OrionPlatformArgsError, type PlatformArgsProblem } from "./components/platform-validation";
export { OrionServer, type OrionServerArgs } from "./components/server";
export { ApiLoadBalancer, type ApiLoadBalancerArgs } from "./components/load-balancer";
export { LOAD_BALANCER_TOKEN, PLATFORM_TOKEN, SERVER_TOKEN } from "./components/tokens";
// What a platform reuses or steps around: the project's SSH keys, the servers the stack's last update left.
export { readDeployed, type Deployed, type DeployedServer } from "./components/deployed";
export type { ProjectSshKey } from "./model/ssh-keys";

// orion-infra's own program, for a stack that reads its settings from `orion:` config as this repository's does.
export { orionProgram, type OrionOutputs } from "./components/program";

// The model: settings -> plan, with no Pulumi in it (what `npm run plan` prints).
export {
  CONFIG_KEYS,
  CONFIG_NAMESPACE,
  ConfigError,
  parseConfig,
  SECRET_CONFIG_KEYS,
  type ConfigProblem,
  type OrionConfig,
} from "./model/config";
export { plan } from "./model/plan";
export { committedLock, type ImageLock } from "./model/images";
export { defaultNamePrefix, hetznerName } from "./model/names";
export type {
  Finding,
  FindingSeverity,
  MonthlyCost,
  Plan,
  PlannedBackup,
  PlannedLoadBalancer,
  PlannedServer,
  PlannedService,
  PlannedVolume,
} from "./model/plan-types";
export { STAGE_NAMES, SERVER_ROLES, type ServerRole, type StageName } from "./model/stages";
export { ARM_LOCATIONS, SERVER_TYPE_NAMES, type ArmLocation, type ServerTypeName } from "./model/catalog";
export { SERVICE_NAMES, type ServiceName } from "./model/services";
export type { StackSecrets } from "./model/render/server-files";
