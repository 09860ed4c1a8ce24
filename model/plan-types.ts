import type { AppContract } from "./app";
import type { ArmLocation, ServerTypeName } from "./catalog";
import type { CelerySettings } from "./celery";
import type { ConnectionBudget } from "./connections";
import type { PlannedRelease } from "./release";
import type { LoadBalancerTls, PlannedCaddy, PlannedIngress } from "./ingress";
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
  diskGb: number;
  hostReserveMb: number;
  hostReserveCovers: string;
  services: PlannedService[];
  containersMb: number;
  headroomMb: number;
  /** Holds data on its disk or volume: delete- and rebuild-protected, never replaced. */
  holdsData: boolean;
  /** Answers HTTP(S) from the internet. */
  servesHttp: boolean;
  /** Caddy on the host, in front of the API: its memory limit is part of the host reserve, not of the containers. */
  caddy?: PlannedCaddy;
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
  /** How TLS gets through it (model/ingress.ts). */
  tls: LoadBalancerTls;
  targets: string[];
  services: { protocol: "tcp" | "http" | "https"; listenPort: number; destinationPort: number }[];
  healthCheck: { protocol: "tcp" | "http"; port: number; path?: string };
  priceEurMonthly: number;
}

export type FindingSeverity = "warning" | "advisory";

export interface Finding {
  severity: FindingSeverity;
  key: string;
  message: string;
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
  /** How the API is served: domain, certificate issuer, where DNS must point. */
  ingress: PlannedIngress;
  connections: ConnectionBudget;
  /** The app contract this stack holds the image to (model/app.ts). */
  app: AppContract;
  /** How a new app version replaces the running one, per server, in deploy order (model/release.ts). */
  releases: PlannedRelease[];
  cost: MonthlyCost;
  findings: Finding[];
}
