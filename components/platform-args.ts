import type * as pulumi from "@pulumi/pulumi";
import type { ArmLocation, ServerTypeName } from "../model/catalog";
import type { ImageLock } from "../model/images";
import type { LoadBalancerTls, TlsIssuer } from "../model/ingress";
import type { ServiceName } from "../model/services";
import type { ServerRole, StageName } from "../model/stages";
import type { Deployed } from "./deployed";

/**
 * What the platform runs, in the operator's terms: the same settings as the
 * `orion:` config keys of orion-infra's own stack (Pulumi.yaml describes each),
 * as a program passes them. Every field is optional: an absent one keeps the
 * stage's own figure from the scaling guide.
 */
export interface OrionSettings {
  /** Stage of the scaling guide: the servers, their types and every container's memory limit. @default "launch" */
  readonly stage?: StageName;
  /** Hetzner location with ARM (CAX) servers. @default "fsn1" */
  readonly location?: ArmLocation;
  /** Server type per role, e.g. `{ app: "cax31" }`; each stage lists the types it allows. @default {} (the stage's types) */
  readonly serverTypes?: Partial<Record<ServerRole, ServerTypeName>>;
  /** Memory limit per service: MB as a number (`768`) or a compose size (`"768m"`, `"1g"`), e.g. `{ "celery-worker": "1g" }`. @default {} (the stage's limits) */
  readonly memoryLimits?: Partial<Record<ServiceName, string | number>>;
  /** Replicas per service, e.g. `{ "celery-worker": 3 }`; each stage lists the range it allows. @default {} (the stage's replicas) */
  readonly replicas?: Partial<Record<ServiceName, number>>;
  /** Uvicorn worker processes per API container, at most 2 x vCPU + 1. @default the stage's figure */
  readonly uvicornWorkers?: number;
  /** Enterprise only: servers running the API behind the load balancer, app server included (2-10). @default 2 */
  readonly apiServers?: number;
  /** Enterprise only: Celery worker servers (1-10). @default 2 */
  readonly workerServers?: number;
  /** Enterprise only: PostgreSQL streaming read replicas (1-5). @default 1 */
  readonly dbReplicas?: number;
  /** CIDRs allowed to reach SSH (your team, the CI runner), e.g. `["203.0.113.7/32"]`. `pulumi up` refuses a platform without them. @default [] */
  readonly adminCidrs?: readonly string[];
  /** OpenSSH public keys (one `.pub` line each) installed for root and the deploy user. @default [] */
  readonly sshPublicKeys?: readonly string[];
  /** The Orion application image (api, celery-worker, celery-beat), pinned by a version tag or a digest. @default "orion/orion:1.0.0" */
  readonly appImage?: string;
  /** The ASGI app Uvicorn serves in the app image, `module:attribute` as `uvicorn` takes it (README "Releasing the app": the app contract). @default "main:app" */
  readonly appApiModule?: string;
  /** The Celery app of the app image, as `celery -A` takes it; the worker and beat run it. @default "app.celery_app" */
  readonly appCeleryApp?: string;
  /** The API's health path: answers 200 once the API can serve; compose, Caddy, the load balancer and a release wait on it. @default "/health" */
  readonly appHealthPath?: string;
  /** Migrations a release runs once, in the new image with the direct database URL, before any new API or worker starts, e.g. `"alembic upgrade head"`. @default none (no migrations) */
  readonly appMigrateCommand?: string;
  /** The app's plain settings, by variable name, e.g. `{ LOG_LEVEL: "info" }`: the API, worker and beat receive them through the env file; secrets go in `secrets.appSecrets`. @default {} */
  readonly appEnv?: Readonly<Record<string, string>>;
  /** User of a private registry holding `appImage`; its password is `secrets.registryPassword`. @default none (a public image) */
  readonly registryUsername?: string;
  /** Public host name of the API, served over HTTPS by Caddy. @default none (the API is reached through an SSH tunnel) */
  readonly domain?: string;
  /** Who issues Caddy's certificate for `domain`: `letsencrypt`, or `internal` (Caddy's own CA, for a stack without public DNS). @default "letsencrypt" */
  readonly tlsIssuer?: TlsIssuer;
  /** Contact address for Let's Encrypt's expiry notices. @default none */
  readonly acmeEmail?: string;
  /** Enterprise only: `caddy` (the load balancer passes TCP to Caddy) or `hetzner-managed` (it ends TLS with a Hetzner certificate). @default "caddy" */
  readonly loadBalancerTls?: LoadBalancerTls;
  /** Monthly budget in EUR; the policy pack warns when the stage costs more. @default none (no check) */
  readonly monthlyBudgetEur?: number;
  /** Clients served today; with `stores`, checked against the guide's stage triggers. @default none */
  readonly clients?: number;
  /** Stores served today; with `clients`, checked against the guide's stage triggers. @default none */
  readonly stores?: number;
  /** Hetzner's server backups (20% of the server price) on servers that keep data on their own disk. @default true */
  readonly backups?: boolean;
  /** Size of the PostgreSQL data volume in GB (10 or more); it can grow, never shrink. @default 20 */
  readonly pgdataVolumeGb?: number;
  /** Where Alertmanager sends alerts by e-mail; needs `smtpFrom` and `smtpSmarthost`. @default none */
  readonly alertEmail?: string;
  /** Sender address of alert e-mails. @default none */
  readonly smtpFrom?: string;
  /** SMTP server as host:port, e.g. `"smtp.example.com:587"`. @default none */
  readonly smtpSmarthost?: string;
  /** SMTP user; its password is `secrets.smtpPassword`. @default none */
  readonly smtpUsername?: string;
  /** `true` deploys without an alert receiver on purpose; otherwise `pulumi up` refuses a platform with neither `alertEmail` nor `secrets.alertWebhookUrl`. @default false */
  readonly noAlertReceiver?: boolean;
  /** Object Storage bucket for the database's backups (pgBackRest), one per platform; `pulumi up` refuses to deploy without it. @default none */
  readonly backupBucket?: string;
  /** S3 endpoint as host or host:port. @default Hetzner Object Storage in `location` (`fsn1.your-objectstorage.com`) */
  readonly backupEndpoint?: string;
  /** PEM CA certificate of a self-hosted S3 endpoint; Hetzner's needs none. @default none */
  readonly backupCaCert?: string;
  /** Days of point-in-time recovery kept in the bucket. @default 14 */
  readonly backupRetentionDays?: number;
  /** PostgreSQL's `archive_timeout` in seconds: at most this much of the latest commits is not yet in the bucket. @default 60 */
  readonly archiveTimeoutSeconds?: number;
  /**
   * Start of every name at Hetzner (`<namePrefix>-app`, `<namePrefix>-private`), which Hetzner
   * wants unique per project: two platforms in one Hetzner project need two prefixes.
   * Lower-case letters, digits and dashes, 1 to 40 characters. orion-infra's own stack
   * defaults it to project and stack (`orion-prod`); a stack deployed before prefixes keeps its names with `"orion"`.
   * @default the component's name
   */
  readonly namePrefix?: string;
  /**
   * Per server, e.g. `{ app: false }`: `false` lets the next rescale grow that server's root disk to its
   * type's size (which rules out moving it to a type with a smaller disk ever again); every other server keeps its disk.
   * @default {} (every server keeps its disk)
   */
  readonly keepDisk?: Readonly<Record<string, boolean>>;
  /** A preview asks each registry for the digest behind every locked tag and warns when it differs from the image lock (the deploy keeps the locked one); `false` where no registry can be reached. @default true */
  readonly imageDriftCheck?: boolean;
}

/**
 * The platform's secrets (orion-infra's own stack reads them from its secret
 * `orion:` config). They travel only inside secret outputs: into the env file
 * each server's deploy receives on stdin, never into a plain property.
 */
export interface OrionSecrets {
  /** Password of PostgreSQL's `orion` user; it also goes into connection URLs, so it may not contain `@ : / ? # "`. */
  readonly dbPassword: pulumi.Input<string>;
  /** Password of Flower's basic auth (user `admin`). */
  readonly flowerPassword: pulumi.Input<string>;
  /** Password of Grafana's `admin` user. */
  readonly grafanaPassword: pulumi.Input<string>;
  /** Password of the private registry named by `registryUsername`. @default none */
  readonly registryPassword?: pulumi.Input<string>;
  /** Private key the deploy commands sign in with over SSH. @default none (the SSH agent of whoever runs `pulumi up`) */
  readonly sshPrivateKey?: pulumi.Input<string>;
  /** Password of `smtpUsername`. @default none */
  readonly smtpPassword?: pulumi.Input<string>;
  /** Webhook Alertmanager posts alerts to (Slack, PagerDuty...). @default none */
  readonly alertWebhookUrl?: pulumi.Input<string>;
  /** Dead man's switch: Alertmanager's always-firing Watchdog alert goes here. @default none */
  readonly watchdogUrl?: pulumi.Input<string>;
  /**
   * The app's own secrets by variable name, e.g. `{ SECRET_KEY: config.requireSecret("appSecretKey") }`: the API, worker and beat receive
   * them through the env file only. The names are plain (the compose files list them); each value stays secret. @default {}
   */
  readonly appSecrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /** S3 access key of `backupBucket`; required with it. @default none */
  readonly backupAccessKey?: pulumi.Input<string>;
  /** S3 secret key of `backupBucket`; required with it. @default none */
  readonly backupSecretKey?: pulumi.Input<string>;
  /** Passphrase pgBackRest encrypts the backups with; required with `backupBucket`. Keep a copy outside Pulumi. @default none */
  readonly backupPassphrase?: pulumi.Input<string>;
}

/** How the platform names its children in Pulumi, which is part of their URNs. */
export type ChildNames = "prefixed" | "by-role";

/** What `new OrionPlatform(name, args)` takes: the settings, the secrets and how to name things. */
export interface OrionPlatformArgs extends OrionSettings {
  /** The platform's secrets; only `dbPassword`, `flowerPassword` and `grafanaPassword` are always required. */
  readonly secrets: OrionSecrets;
  /**
   * What the Hetzner project and the stack's last update already have: SSH keys Hetzner holds are used as
   * they are, and a server whose type changes has its containers stopped before Hetzner powers it off.
   * orion-infra's own program passes `await readDeployed()`, which reads them from its stack's last
   * `servers` and `namePrefix` outputs and from the Hetzner project.
   * @default nothing deployed, no keys in the project
   */
  readonly deployed?: Deployed;
  /**
   * The platform images pinned to registry digests; `pulumi up` refuses to deploy an image of the stage without one.
   * @default orion-infra's own images.lock.json
   */
  readonly imageLock?: ImageLock;
  /**
   * How children are named in Pulumi (their URNs). `"prefixed"`: `<name>-<role>`
   * (`staging-app`, `staging-pgdata`), so several platforms fit in one program.
   * `"by-role"`: the role alone (`app`, `pgdata`), as orion-infra's own program
   * has always named them; a program can then hold only one platform.
   * @default "prefixed"
   */
  readonly childNames?: ChildNames;
}
