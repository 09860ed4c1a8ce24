import { z } from "zod";
import {
  ARM_LOCATIONS,
  HETZNER_EXTRAS,
  NON_ARM_LOCATIONS,
  SERVER_TYPE_NAMES,
  isArmLocation,
  isServerTypeName,
} from "./catalog";
import { SERVICE_NAMES, isServiceName, type ServiceName } from "./services";
import { SERVER_ROLES, STAGE_NAMES, isStageName, type ServerRole, type StageName } from "./stages";
import { closestName, suggestion } from "./suggest";
import { MEMORY_FORMAT_HELP, parseMemoryMb } from "./units";
import { LOAD_BALANCER_TLS, TLS_ISSUERS, type LoadBalancerTls, type TlsIssuer } from "./ingress";
import type { ArmLocation, ServerTypeName } from "./catalog";
import { APP_DEFAULTS, appEnvNameProblem } from "./app";
import { BACKUP_DEFAULTS } from "./backup";
import { NAME_PREFIX_HELP, NAME_PREFIX_PATTERN } from "./names";

/** Room for a year of Orion's data at launch, twice Hetzner's smallest volume (chosen; the guide has no figure). */
export const DEFAULT_PGDATA_VOLUME_GB = 20;

/** The Pulumi config namespace: every key is `orion:<key>`. */
export const CONFIG_NAMESPACE = "orion";

/** Config after validation: what `plan()` takes. Secrets are not here; the program reads them itself. */
export interface OrionConfig {
  stage: StageName;
  location: ArmLocation;
  serverTypes: Partial<Record<ServerRole, ServerTypeName>>;
  memoryLimitsMb: Partial<Record<ServiceName, number>>;
  replicas: Partial<Record<ServiceName, number>>;
  uvicornWorkers?: number;
  apiServers?: number;
  workerServers?: number;
  dbReplicas?: number;
  adminCidrs: string[];
  sshPublicKeys: string[];
  appImage: string;
  registryUsername?: string;
  domain?: string;
  /** Who issues Caddy's certificate for the domain (model/ingress.ts). */
  tlsIssuer: TlsIssuer;
  /** Let's Encrypt's contact for expiry notices. */
  acmeEmail?: string;
  /** Enterprise: how TLS gets through the load balancer (model/ingress.ts). */
  loadBalancerTls: LoadBalancerTls;
  monthlyBudgetEur?: number;
  clients?: number;
  stores?: number;
  backups: boolean;
  pgdataVolumeGb: number;
  /** Alertmanager's e-mail receiver; a webhook is the secret `orion:alertWebhookUrl`. */
  alertEmail?: { to: string; from: string; smarthost: string; username?: string };
  /** The app contract's parts that differ between apps (model/app.ts). */
  app: { apiModule: string; celeryApp: string; healthPath: string; migrateCommand?: string };
  /** orion:appEnv: plain settings for the app, sent in the env file like its secrets. */
  appEnv: Record<string, string>;
  /** Names (never values) of the secret orion:appSecrets: the program reads them; the plan lists them in the compose files. */
  appSecretNames?: string[];
  /** The secret `orion:alertWebhookUrl` is set (its value stays with the program). */
  alertWebhook?: boolean;
  /** The secret `orion:watchdogUrl` is set: Alertmanager's Watchdog alert goes there. */
  watchdogWebhook?: boolean;
  /** The operator deploys without an alert receiver on purpose. */
  noAlertReceiver: boolean;
  /** A preview compares the locked image digests with their registries (components/image-drift.ts); false where none can be reached. */
  imageDriftCheck: boolean;
  /** pgBackRest's repository (model/backup.ts); its keys and passphrase are secrets. */
  databaseBackups: {
    bucket?: string;
    endpoint?: string;
    caCert?: string;
    retentionDays: number;
    archiveTimeoutSeconds: number;
  };
  /** Start of every Hetzner name; the program defaults it to project and stack (`orion-prod`). */
  namePrefix?: string;
  /** Servers whose next rescale grows the root disk (`orion:keepDisk.<server>: false`); every other server keeps its disk. */
  keepDisk: Record<string, boolean>;
}

/** One problem in the config: the key, the value given and what would be accepted. */
export interface ConfigProblem {
  key: string;
  value: unknown;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = "ConfigError";
  }
}

export function formatProblems(problems: ConfigProblem[]): string {
  const lines = problems.map(
    (p) => `${p.key}${p.value === undefined ? "" : ` ${JSON.stringify(p.value)}`} ${p.message}`,
  );
  return lines.length === 1
    ? lines[0]
    : `${lines.length} problems in the config:\n${lines.map((l) => `  - ${l}`).join("\n")}`;
}

const list = (values: readonly string[]) => values.join(", ");

/** Pulumi hands every scalar over as a string (`pulumi config set orion:uvicornWorkers 4`); structured values may arrive as JSON text. */
function fromPulumiText(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === "true" || text === "false") return text === "true";
  if (text.startsWith("[") || text.startsWith("{")) {
    try {
      return JSON.parse(text);
    } catch {
      return value;
    }
  }
  return value;
}

const pulumiValue = <T extends z.ZodType>(schema: T) => z.preprocess(fromPulumiText, schema);

const wholeNumber = (what: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  pulumiValue(
    z
      .number({ error: `is not a number; use ${what}` })
      .int({ error: `is not a whole number; use ${what}` })
      .min(min, { error: `is too small; use ${what}` })
      .max(max, { error: `is too large; use ${what}` }),
  );

// A CIDR as Hetzner's firewall takes it: IPv4 or IPv6 address, a prefix length.
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9a-fA-F:]+:[0-9a-fA-F:]*\/(12[0-8]|1[01]\d|\d?\d)$/;
const SSH_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
// An image reference pinned by a tag other than `latest`, or by a digest.
const PINNED_IMAGE = /^[a-z0-9][a-z0-9._\-/:]*(:(?!latest$)[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/;

const stringList = (itemSchema: z.ZodType<string>) =>
  pulumiValue(z.array(itemSchema, { error: "is not a list; use a YAML list or a JSON array of strings" }));

/**
 * A map whose keys must come from a fixed list, with a value schema per entry.
 * The entries come out parsed (`"3.0"` replicas as the number 3), not as given.
 */
function keyedMap<K extends string, V>(
  keyNoun: string,
  keys: readonly K[],
  isKey: (k: string) => k is K,
  value: z.ZodType<V>,
) {
  return pulumiValue(
    z
      .record(z.string(), z.unknown(), {
        error: `is not a map; use ${keyNoun} names as keys, e.g. {"${keys[0]}": ...}`,
      })
      .transform((map, ctx) => {
        const parsedMap: Partial<Record<K, V>> = {};
        for (const [key, entry] of Object.entries(map)) {
          if (!isKey(key)) {
            ctx.addIssue({
              code: "custom",
              path: [key],
              input: undefined,
              message: `is not a ${keyNoun}; ${suggestion(key, keys)}`,
            });
            continue;
          }
          const parsed = value.safeParse(entry, { reportInput: true });
          if (!parsed.success) {
            for (const issue of parsed.error.issues) {
              ctx.addIssue({
                code: "custom",
                path: [key, ...issue.path.map(String)],
                input: entry,
                message: issue.message,
              });
            }
            continue;
          }
          parsedMap[key] = parsed.data;
        }
        return parsedMap;
      }),
  );
}

/** Hetzner's names are lower case, but its console and the guide print them in capitals (CAX21, FSN1): both are meant. */
const lowerCase = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === "string" ? v.trim().toLowerCase() : v), schema);

const memorySize = pulumiValue(
  z
    .union([z.string(), z.number()], { error: `is not a memory size; use ${MEMORY_FORMAT_HELP}` })
    .refine((v) => parseMemoryMb(v) !== undefined, {
      error: `is not a memory size; use ${MEMORY_FORMAT_HELP}`,
    }),
);

const serverType = lowerCase(
  z.string({ error: `is not a server type; use one of ${list(SERVER_TYPE_NAMES)}` }).superRefine((v, ctx) => {
    if (isServerTypeName(v)) return;
    // cx22, cpx31, ccx13: real Hetzner types, but x86; anything else is not a type at all.
    const message = /^c[cp]?x\d+$/.test(v)
      ? `is not an ARM (CAX) server type; use one of ${list(SERVER_TYPE_NAMES)}`
      : `is not a Hetzner server type; ${suggestion(v, SERVER_TYPE_NAMES)}`;
    ctx.addIssue({ code: "custom", input: v, message });
  }),
);

export const configSchema = z.object({
  stage: z
    .string()
    .default("launch")
    .superRefine((v, ctx) => {
      if (!isStageName(v))
        ctx.addIssue({ code: "custom", input: v, message: `is not a stage; ${suggestion(v, STAGE_NAMES)}` });
    }),
  location: lowerCase(
    z
      .string()
      .default("fsn1")
      .superRefine((v, ctx) => {
        if (isArmLocation(v)) return;
        const nonArm = (NON_ARM_LOCATIONS as readonly string[]).includes(v);
        const why = nonArm ? "offers no ARM (CAX) servers" : "is not a Hetzner location with ARM servers";
        ctx.addIssue({
          code: "custom",
          input: v,
          message: `${why}; ${nonArm ? `use one of ${list(ARM_LOCATIONS)}` : suggestion(v, ARM_LOCATIONS)}`,
        });
      }),
  ),
  serverTypes: keyedMap(
    "server role",
    SERVER_ROLES,
    (k): k is ServerRole => (SERVER_ROLES as readonly string[]).includes(k),
    serverType as z.ZodType<ServerTypeName>,
  ).default({}),
  memoryLimits: keyedMap("service", SERVICE_NAMES, isServiceName, memorySize as z.ZodType<string | number>).default({}),
  replicas: keyedMap(
    "service",
    SERVICE_NAMES,
    isServiceName,
    wholeNumber("a whole number of replicas, at least 1", 1, 20) as z.ZodType<number>,
  ).default({}),
  uvicornWorkers: wholeNumber("a whole number of Uvicorn workers, at least 1", 1, 64).optional(),
  apiServers: wholeNumber("a whole number of API servers", 1, 10).optional(),
  workerServers: wholeNumber("a whole number of worker servers", 1, 10).optional(),
  dbReplicas: wholeNumber("a whole number of read replicas", 1, 5).optional(),
  adminCidrs: stringList(
    z.string().refine((v) => IPV4_CIDR.test(v) || IPV6_CIDR.test(v), {
      error: "is not a CIDR; use an address with a prefix length, e.g. 203.0.113.7/32",
    }),
  ).default([]),
  sshPublicKeys: stringList(
    z.string().refine((v) => SSH_KEY.test(v.trim()), {
      error: "is not an SSH public key; use one line of an OpenSSH .pub file (ssh-ed25519 AAAA...)",
    }),
  ).default([]),
  appImage: z
    .string()
    .default("orion/orion:1.0.0")
    .refine((v) => PINNED_IMAGE.test(v), {
      error: "is not a pinned image; use name:tag with a version tag (not latest) or name@sha256:<digest>",
    }),
  registryUsername: z.string().optional(),
  domain: z
    .string()
    .refine((v) => HOSTNAME.test(v), { error: "is not a domain name; use a host name such as orion.example.com" })
    .optional(),
  tlsIssuer: z
    .string()
    .default("letsencrypt")
    .refine((v) => (TLS_ISSUERS as readonly string[]).includes(v), {
      error: `is not a certificate issuer; use one of ${list(TLS_ISSUERS)}`,
    }),
  acmeEmail: z
    .string()
    .refine((v) => EMAIL.test(v), { error: "is not an e-mail address; use e.g. ops@example.com" })
    .optional(),
  loadBalancerTls: z
    .string()
    .default("caddy")
    .refine((v) => (LOAD_BALANCER_TLS as readonly string[]).includes(v), {
      error: `is not a load balancer TLS mode; use one of ${list(LOAD_BALANCER_TLS)}`,
    }),
  monthlyBudgetEur: pulumiValue(
    z
      .number({ error: "is not a number; use euros per month, e.g. 50" })
      .positive({ error: "must be above 0; use euros per month, e.g. 50" }),
  ).optional(),
  clients: wholeNumber("a whole number of clients, 0 or more", 0).optional(),
  stores: wholeNumber("a whole number of stores, 0 or more", 0).optional(),
  backups: pulumiValue(z.boolean({ error: "is not true or false" })).default(true),
  pgdataVolumeGb: wholeNumber(
    `a whole number of GB, ${HETZNER_EXTRAS.minVolumeGb} (Hetzner's smallest volume) to 10240`,
    HETZNER_EXTRAS.minVolumeGb,
    10240,
  ).default(DEFAULT_PGDATA_VOLUME_GB),
  alertEmail: z
    .string()
    .refine((v) => EMAIL.test(v), { error: "is not an e-mail address; use e.g. ops@example.com" })
    .optional(),
  smtpFrom: z
    .string()
    .refine((v) => EMAIL.test(v), { error: "is not an e-mail address; use e.g. alerts@example.com" })
    .optional(),
  smtpSmarthost: z
    .string()
    .refine((v) => /^[a-z0-9.-]+:\d{1,5}$/i.test(v), { error: "is not host:port; use e.g. smtp.example.com:587" })
    .optional(),
  smtpUsername: z.string().optional(),
  appApiModule: z
    .string()
    .default(APP_DEFAULTS.apiModule)
    .refine((v) => /^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$/.test(v), {
      error: "is not an ASGI app; use module:attribute as uvicorn takes it, e.g. main:app",
    }),
  appCeleryApp: z
    .string()
    .default(APP_DEFAULTS.celeryApp)
    .refine((v) => /^[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?$/.test(v), {
      error: "is not a Celery app; use a module path as celery -A takes it, e.g. app.celery_app",
    }),
  appHealthPath: z
    .string()
    .default(APP_DEFAULTS.healthPath)
    .refine((v) => /^\/[\w\-./]*$/.test(v), { error: "is not a URL path; use a path such as /health" }),
  appMigrateCommand: z
    .string()
    .refine((v) => !/[\r\n']/.test(v), {
      error: "contains a line break or a '; use one command line, e.g. alembic upgrade head",
    })
    .optional(),
  appEnv: pulumiValue(
    z
      .record(z.string(), z.unknown(), {
        error: 'is not a map; use variable names as keys, e.g. {"LOG_LEVEL": "info"}',
      })
      .superRefine((map, ctx) => {
        for (const [name, value] of Object.entries(map)) {
          const problem = appEnvNameProblem(name);
          if (problem) ctx.addIssue({ code: "custom", path: [name], input: name, message: problem });
          else if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean")
            ctx.addIssue({ code: "custom", path: [name], input: value, message: "is not text; use a string" });
          else if (/[\r\n']/.test(String(value)))
            ctx.addIssue({
              code: "custom",
              path: [name],
              input: value,
              message: "contains a line break or a ', which the env file cannot hold; choose a value without them",
            });
        }
      }),
  ).default({}),
  noAlertReceiver: pulumiValue(z.boolean({ error: "is not true or false" })).default(false),
  imageDriftCheck: pulumiValue(z.boolean({ error: "is not true or false" })).default(true),
  // S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens (Hetzner follows the S3 rules).
  backupBucket: z
    .string()
    .refine((v) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v), {
      error: "is not a bucket name; use 3-63 lower-case letters, digits, dots or hyphens, e.g. orion-prod-backups",
    })
    .optional(),
  backupEndpoint: z
    .string()
    .refine((v) => /^[a-z0-9.-]+(:\d{1,5})?$/i.test(v), {
      error: "is not host or host:port; use e.g. fsn1.your-objectstorage.com (the default for orion:location)",
    })
    .optional(),
  backupCaCert: z
    .string()
    .refine((v) => v.includes("-----BEGIN CERTIFICATE-----"), {
      error: "is not a PEM certificate; use the CA certificate of a self-hosted S3 endpoint, or leave it unset",
    })
    .optional(),
  backupRetentionDays: wholeNumber("a whole number of days of point-in-time recovery, 1 to 3650", 1, 3650).default(
    BACKUP_DEFAULTS.retentionDays,
  ),
  archiveTimeoutSeconds: wholeNumber(
    "a whole number of seconds, 10 to 3600 (PostgreSQL's archive_timeout)",
    10,
    3600,
  ).default(BACKUP_DEFAULTS.archiveTimeoutSeconds),
  namePrefix: z
    .string()
    .refine((v) => NAME_PREFIX_PATTERN.test(v), {
      error: `is not a name prefix Hetzner accepts; use ${NAME_PREFIX_HELP}`,
    })
    .optional(),
  keepDisk: pulumiValue(
    z.record(
      z.string().regex(/^[a-z][a-z0-9-]*$/, { error: "is not a server name; use one such as app, db or worker-1" }),
      pulumiValue(z.boolean({ error: "is not true or false" })),
      {
        error: 'is not a map; use server names as keys and true or false, e.g. {"app": false}',
      },
    ),
  ).default({}),
});

export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof typeof configSchema.shape)[];

/**
 * Pulumi.yaml can only declare a typed key with a default, so optional numbers
 * default to 0 and the domain to "": both mean "not set, use the stage's figure".
 */
export const UNSET_MARKERS: Partial<Record<string, 0 | "">> = {
  uvicornWorkers: 0,
  apiServers: 0,
  workerServers: 0,
  dbReplicas: 0,
  monthlyBudgetEur: 0,
  // 0 clients or stores calls for no stage; as "not given" the load checks stay quiet.
  clients: 0,
  stores: 0,
  domain: "",
  acmeEmail: "",
  registryUsername: "",
  alertEmail: "",
  smtpFrom: "",
  smtpSmarthost: "",
  smtpUsername: "",
  appMigrateCommand: "",
  backupBucket: "",
  backupEndpoint: "",
  backupCaCert: "",
  namePrefix: "",
};

/**
 * Secrets the program reads with `requireSecret`/`getSecret`; they are not
 * part of the plan. Given in plain text they are refused, never used.
 */
export const SECRET_CONFIG_KEYS = [
  "dbPassword",
  "flowerPassword",
  "grafanaPassword",
  "registryPassword",
  "sshPrivateKey",
  "smtpPassword",
  "alertWebhookUrl",
  "watchdogUrl",
  "backupAccessKey",
  "backupSecretKey",
  "backupPassphrase",
  "appSecrets",
] as const;
export type SecretConfigKey = (typeof SECRET_CONFIG_KEYS)[number];

function withoutUnsetMarkers(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(raw).filter(([k, v]) => !(k in UNSET_MARKERS && fromPulumiText(v) === UNSET_MARKERS[k])),
  );
}

/** `orion:adminCidrs[0]`, `orion:memoryLimits.db`: the path as `pulumi config set --path` spells it. */
export function configKeyPath(path: readonly PropertyKey[]): string {
  const spelled = path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
  return `${CONFIG_NAMESPACE}:${spelled}`;
}

/**
 * Validates raw config (keys without the `orion:` prefix, values as Pulumi
 * gives them) and reports every problem at once. `secrets` names the secret
 * keys the stack has set; their values never come here.
 */
export function parseConfig(
  given: Record<string, unknown>,
  options: { secrets?: readonly string[] } = {},
): OrionConfig {
  const raw = withoutUnsetMarkers(given);
  const problems: ConfigProblem[] = [];
  for (const key of Object.keys(raw)) {
    if ((SECRET_CONFIG_KEYS as readonly string[]).includes(key)) {
      problems.push({
        key: `${CONFIG_NAMESPACE}:${key}`,
        value: undefined,
        message: `is a secret but is stored in plain text; set it with \`pulumi config set --secret ${CONFIG_NAMESPACE}:${key} <value>\``,
      });
    } else if (!(CONFIG_KEYS as string[]).includes(key)) {
      const close = closestName(key, [...CONFIG_KEYS, ...SECRET_CONFIG_KEYS]);
      problems.push({
        key: `${CONFIG_NAMESPACE}:${key}`,
        value: undefined,
        message: `is not a setting of orion-infra; ${close ? `did you mean ${CONFIG_NAMESPACE}:${close}?` : `use one of ${list(CONFIG_KEYS)}`}`,
      });
    }
  }
  const known = Object.fromEntries(Object.entries(raw).filter(([k]) => (CONFIG_KEYS as string[]).includes(k)));
  const result = configSchema.safeParse(known, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push({ key: configKeyPath(issue.path), value: issue.input, message: issue.message });
    }
  }
  if (result.success && result.data.alertEmail && (!result.data.smtpFrom || !result.data.smtpSmarthost)) {
    problems.push({
      key: `${CONFIG_NAMESPACE}:alertEmail`,
      value: result.data.alertEmail,
      message: "needs orion:smtpFrom and orion:smtpSmarthost to send mail; set both",
    });
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const c = result.data;
  const memoryLimitsMb: Partial<Record<ServiceName, number>> = {};
  for (const [service, size] of Object.entries(c.memoryLimits))
    memoryLimitsMb[service as ServiceName] = parseMemoryMb(size)!;
  return {
    stage: c.stage as StageName,
    location: c.location as ArmLocation,
    serverTypes: c.serverTypes,
    memoryLimitsMb,
    replicas: c.replicas,
    uvicornWorkers: c.uvicornWorkers,
    apiServers: c.apiServers,
    workerServers: c.workerServers,
    dbReplicas: c.dbReplicas,
    adminCidrs: c.adminCidrs,
    sshPublicKeys: c.sshPublicKeys.map((k) => k.trim()),
    appImage: c.appImage,
    registryUsername: c.registryUsername,
    domain: c.domain,
    tlsIssuer: c.tlsIssuer as TlsIssuer,
    acmeEmail: c.acmeEmail,
    loadBalancerTls: c.loadBalancerTls as LoadBalancerTls,
    monthlyBudgetEur: c.monthlyBudgetEur,
    clients: c.clients,
    stores: c.stores,
    backups: c.backups,
    pgdataVolumeGb: c.pgdataVolumeGb,
    alertEmail: c.alertEmail
      ? { to: c.alertEmail, from: c.smtpFrom!, smarthost: c.smtpSmarthost!, username: c.smtpUsername || undefined }
      : undefined,
    app: {
      apiModule: c.appApiModule,
      celeryApp: c.appCeleryApp,
      healthPath: c.appHealthPath,
      migrateCommand: c.appMigrateCommand?.trim() || undefined,
    },
    appEnv: Object.fromEntries(Object.entries(c.appEnv).map(([k, v]) => [k, String(v)])),
    alertWebhook: options.secrets?.includes("alertWebhookUrl") || undefined,
    watchdogWebhook: options.secrets?.includes("watchdogUrl") || undefined,
    noAlertReceiver: c.noAlertReceiver,
    imageDriftCheck: c.imageDriftCheck,
    databaseBackups: {
      bucket: c.backupBucket,
      endpoint: c.backupEndpoint,
      caCert: c.backupCaCert,
      retentionDays: c.backupRetentionDays,
      archiveTimeoutSeconds: c.archiveTimeoutSeconds,
    },
    namePrefix: c.namePrefix,
    keepDisk: c.keepDisk,
  };
}
