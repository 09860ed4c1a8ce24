import type { ArmLocation, ServerTypeName } from "./catalog";
import type { CelerySettings } from "./celery";
import type { ConnectionBudget } from "./connections";
import type { ServerDisk } from "./disk";
import type { PlannedPlacementGroup } from "./placement";
import type { ServiceGroup, ServiceName } from "./services";
import type { ApiSettings, PgBouncerSettings, RedisSettings, SentinelSettings } from "./settings";
import type { ServerRole, StageName } from "./stages";

export interface PlannedService {
  name: ServiceName;
  group: ServiceGroup;
  purpose: string;
  image: string;
  memoryLimitMb: number;
  replicas: number;
  /** memoryLimitMb x replicas. */
  totalMb: number;
  /** Set by `orion:memoryLimits` or `orion:replicas` rather than the stage. */
  overridden: boolean;
  api?: ApiSettings;
  pgbouncer?: PgBouncerSettings;
  redis?: RedisSettings;
  sentinel?: SentinelSettings;
  celery?: CelerySettings;
  postgres?: { maxConnections: number };
}

export interface PlannedServer {
  /** Stable name by role (`app`, `db`, `worker-1`): never the stage. */
  name: string;
  role: ServerRole;
  type: ServerTypeName;
  vcpu: number;
  ramMb: number;
  /** The root disk it has: with keepDisk, the size of the type it was created as (see disk.ts). */
  diskGb: number;
  disk: ServerDisk;
  hostReserveMb: number;
  hostReserveCovers: string;
  services: PlannedService[];
  containersMb: number;
  headroomMb: number;
  /** Holds data on its disk or volume: delete- and rebuild-protected, never replaced. */
  holdsData: boolean;
  /** Answers HTTP(S) from the internet. */
  servesHttp: boolean;
  priceEurMonthly: number;
}

export interface PlannedVolume {
  name: string;
  server: string;
  sizeGb: number;
  /** Where the volume is mounted on its server; the db container's data directory lives here. */
  mountPath: string;
  priceEurMonthly: number;
}

export interface PlannedLoadBalancer {
  name: string;
  type: string;
  targets: string[];
  listenPort: number;
  destinationPort: number;
  healthCheckPath: string;
  priceEurMonthly: number;
}

export type FindingSeverity = "warning" | "advisory";

export interface Finding {
  severity: FindingSeverity;
  key: string;
  message: string;
  /** `pulumi up` stops on it; `pulumi preview` and the plan only warn. */
  blocksUp?: boolean;
}

export interface MonthlyCost {
  serversEur: number;
  volumesEur: number;
  loadBalancerEur: number;
  backupsEur: number;
  totalEur: number;
}

export interface Plan {
  stage: StageName;
  location: ArmLocation;
  servers: PlannedServer[];
  volumes: PlannedVolume[];
  loadBalancer?: PlannedLoadBalancer;
  /** Spread placement groups, each server in one from its creation. */
  placementGroups: PlannedPlacementGroup[];
  connections: ConnectionBudget;
  cost: MonthlyCost;
  findings: Finding[];
}
