import type { AppContract } from "./app";
import type { ArmLocation, ServerTypeName } from "./catalog";
import type { CelerySettings } from "./celery";
import type { ConnectionBudget } from "./connections";
import type { ServerDisk } from "./disk";
import type { PlannedPlacementGroup } from "./placement";
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
  postgres?: { maxConnections: number; archiveTimeoutSeconds: number; maxSlotWalKeepSizeMb: number; archiveQueueMaxMb: number };
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
  /** Hetzner's server backups are bought for it: `orion:backups` is on and it keeps data on its own disk (they never include volumes). */
  serverBackups: boolean;
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
  /** `pulumi up` stops on it; `pulumi preview` and the plan only warn. */
  blocksUp?: boolean;
}

/** PostgreSQL's backups with pgBackRest (model/backup.ts). */
export interface PlannedBackup {
  bucket?: string;
  /** S3 endpoint, host or host:port. */
  endpoint: string;
  /** CA certificate (PEM) of a self-hosted endpoint; Hetzner's certificates need none. */
  caCert?: string;
  /** Hetzner's endpoints take the bucket in the host name; other S3 servers get it in the path. */
  uriStyle: "host" | "path";
  region: string;
  stanza: string;
  repositoryPath: string;
  /** Servers where pgBackRest runs: every server with PostgreSQL. Base backups come from the primary's. */
  servers: string[];
  primary: string;
  /** archive_timeout: at most this many seconds of commits are not yet in the bucket (the RPO, plus one upload). */
  archiveTimeoutSeconds: number;
  retentionDays: number;
  fullEveryDays: number;
  dailyAtHourUtc: number;
  cipher: "aes-256-cbc";
  priceEurMonthly: number;
}

export interface MonthlyCost {
  serversEur: number;
  volumesEur: number;
  loadBalancerEur: number;
  /** Hetzner's server backups (`orion:backups`). */
  backupsEur: number;
  /** Object Storage's base price, for the database's backups. */
  objectStorageEur: number;
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
  /** How the API is served: domain, certificate issuer, where DNS must point. */
  ingress: PlannedIngress;
  backup: PlannedBackup;
  connections: ConnectionBudget;
  /** The app contract this stack holds the image to (model/app.ts). */
  app: AppContract;
  /** How a new app version replaces the running one, per server, in deploy order (model/release.ts). */
  releases: PlannedRelease[];
  cost: MonthlyCost;
  findings: Finding[];
}
