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
  /** The compose service name. */
  name: ServiceName;
  /** What it belongs to: the app, monitoring, exporters or backups. */
  group: ServiceGroup;
  /** What it does, in the guide's words. */
  purpose: string;
  /** Image reference as pinned by tag; the deploy adds the digest. */
  image: string;
  /** Memory limit of each replica, in MB (compose `mem_limit`). */
  memoryLimitMb: number;
  /** Containers of this service on the server. */
  replicas: number;
  /** memoryLimitMb x replicas. */
  totalMb: number;
  /** Set by `orion:memoryLimits` or `orion:replicas` rather than the stage. */
  overridden: boolean;
  /** Uvicorn settings, on the API service. */
  api?: ApiSettings;
  /** PgBouncer settings, on the pgbouncer service. */
  pgbouncer?: PgBouncerSettings;
  /** Redis settings, on redis and redis-replica. */
  redis?: RedisSettings;
  /** Sentinel settings, on the redis-sentinel services. */
  sentinel?: SentinelSettings;
  /** Concurrency and recycling, on celery-worker. */
  celery?: CelerySettings;
  /** PostgreSQL settings, on db and db-replica: connections, archive_timeout (seconds), WAL limits (MB). */
  postgres?: {
    maxConnections: number;
    archiveTimeoutSeconds: number;
    maxSlotWalKeepSizeMb: number;
    archiveQueueMaxMb: number;
  };
}

export interface PlannedServer {
  /** Stable name by role (`app`, `db`, `worker-1`): never the stage. */
  name: string;
  /** What the server is for; the stage decides which roles exist. */
  role: ServerRole;
  /** Hetzner server type (ARM, CAX). */
  type: ServerTypeName;
  /** vCPUs of the type. */
  vcpu: number;
  /** RAM of the type, in MB. */
  ramMb: number;
  /** The root disk it has: with keepDisk, the size of the type it was created as (see disk.ts). */
  diskGb: number;
  disk: ServerDisk;
  hostReserveMb: number;
  /** What the host reserve is for, in words. */
  hostReserveCovers: string;
  /** The containers of its compose project. */
  services: PlannedService[];
  /** Sum of its containers' limits (limit x replicas), in MB. */
  containersMb: number;
  /** RAM left after the containers and the host reserve, in MB; never negative in a valid plan. */
  headroomMb: number;
  /** Holds data on its disk or volume: delete- and rebuild-protected, never replaced. */
  holdsData: boolean;
  /** Hetzner's server backups are bought for it: `orion:backups` is on and it keeps data on its own disk (they never include volumes). */
  serverBackups: boolean;
  /** Answers HTTP(S) from the internet. */
  servesHttp: boolean;
  /** Caddy on the host, in front of the API: its memory limit is part of the host reserve, not of the containers. */
  caddy?: PlannedCaddy;
  /** Monthly price of the type, in EUR (net). */
  priceEurMonthly: number;
}

export interface PlannedVolume {
  /** Role name of the volume (`pgdata`); the Pulumi name and the end of its Hetzner name. */
  name: string;
  /** The server it is attached to in this stage. */
  server: string;
  /** Size in GB. */
  sizeGb: number;
  /** Where the volume is mounted on its server; the db container's data directory lives here. */
  mountPath: string;
  /** Monthly price in EUR (net). */
  priceEurMonthly: number;
}

export interface PlannedLoadBalancer {
  /** Role name (`api`); the Pulumi name and the end of its Hetzner name. */
  name: string;
  /** Hetzner load balancer type (lb11...). */
  type: string;
  /** How TLS gets through it (model/ingress.ts). */
  tls: LoadBalancerTls;
  /** Servers it sends traffic to, by name, over the private network. */
  targets: string[];
  /** What it listens on and where it sends it (ports). */
  services: { protocol: "tcp" | "http" | "https"; listenPort: number; destinationPort: number }[];
  /** How it decides a target is up. */
  healthCheck: { protocol: "tcp" | "http"; port: number; path?: string };
  /** Monthly price in EUR (net). */
  priceEurMonthly: number;
}

export type FindingSeverity = "warning" | "advisory";

export interface Finding {
  /** `warning`: fix before going live; `advisory`: worth knowing. */
  severity: FindingSeverity;
  /** The config key it is about (`orion:adminCidrs`). */
  key: string;
  /** What is wrong and what to do about it. */
  message: string;
  /** `pulumi up` stops on it; `pulumi preview` and the plan only warn. */
  blocksUp?: boolean;
}

/** PostgreSQL's backups with pgBackRest (model/backup.ts). */
export interface PlannedBackup {
  /** The Object Storage bucket; unset only where `pulumi up` stops. */
  bucket?: string;
  /** S3 endpoint, host or host:port. */
  endpoint: string;
  /** CA certificate (PEM) of a self-hosted endpoint; Hetzner's certificates need none. */
  caCert?: string;
  /** Hetzner's endpoints take the bucket in the host name; other S3 servers get it in the path. */
  uriStyle: "host" | "path";
  /** The S3 region pgBackRest signs requests for (Hetzner's location). */
  region: string;
  /** pgBackRest's stanza name for the database. */
  stanza: string;
  /** Path of the repository inside the bucket. */
  repositoryPath: string;
  /** Servers where pgBackRest runs: every server with PostgreSQL. Base backups come from the primary's. */
  servers: string[];
  /** The server whose PostgreSQL the base backups come from. */
  primary: string;
  /** archive_timeout: at most this many seconds of commits are not yet in the bucket (the RPO, plus one upload). */
  archiveTimeoutSeconds: number;
  /** Days of point-in-time recovery kept. */
  retentionDays: number;
  /** Days between full backups; differentials on the days between. */
  fullEveryDays: number;
  /** Hour (UTC) of the daily backup. */
  dailyAtHourUtc: number;
  /** Encryption of the repository, applied on the server before upload. */
  cipher: "aes-256-cbc";
  /** Object Storage's monthly base price in EUR (net). */
  priceEurMonthly: number;
}

export interface MonthlyCost {
  /** Servers, in EUR per month (net). */
  serversEur: number;
  /** Volumes, in EUR per month (net). */
  volumesEur: number;
  /** The load balancer, in EUR per month (net). */
  loadBalancerEur: number;
  /** Hetzner's server backups (`orion:backups`). */
  backupsEur: number;
  /** Object Storage's base price, for the database's backups. */
  objectStorageEur: number;
  /** Everything above, in EUR per month (net). */
  totalEur: number;
}

export interface Plan {
  /** The stage of the scaling guide it plans. */
  stage: StageName;
  /** Hetzner location of every server and volume. */
  location: ArmLocation;
  /** Every server, with its containers, limits and budget. */
  servers: PlannedServer[];
  /** Volumes and the server each is attached to. */
  volumes: PlannedVolume[];
  /** The API load balancer (enterprise only). */
  loadBalancer?: PlannedLoadBalancer;
  /** Spread placement groups, each server in one from its creation. */
  placementGroups: PlannedPlacementGroup[];
  /** How the API is served: domain, certificate issuer, where DNS must point. */
  ingress: PlannedIngress;
  /** PostgreSQL's backups: bucket, schedule, retention. */
  backup: PlannedBackup;
  /** PostgreSQL's connection budget: what each client opens, and max_connections. */
  connections: ConnectionBudget;
  /** The app contract this stack holds the image to (model/app.ts). */
  app: AppContract;
  /** How a new app version replaces the running one, per server, in deploy order (model/release.ts). */
  releases: PlannedRelease[];
  cost: MonthlyCost;
  /** What `npm run plan`, `pulumi preview` and `pulumi up` warn about; some stop `pulumi up`. */
  findings: Finding[];
}
