import { HETZNER_EXTRAS, SERVER_TYPES, maxUvicornWorkers, type ServerTypeName } from "./catalog";
import { keepsDataOnDisk } from "./backup";
import { planBackup, postgresArchiving } from "./backup-plan";
import { celerySettings } from "./celery";
import { ConfigError, CONFIG_NAMESPACE, type ConfigProblem, type OrionConfig } from "./config";
import { connectionBudget, describeClients } from "./connections";
import { serverDisk } from "./disk";
import { planPlacementGroups } from "./placement";
import { noDomainMessage, planCaddy, planIngress, planLoadBalancer } from "./ingress";
import type {
  Finding,
  MonthlyCost,
  Plan,
  PlannedLoadBalancer,
  PlannedServer,
  PlannedService,
  PlannedVolume,
} from "./plan-types";
import { SERVICES, type ServiceName } from "./services";
import {
  HOST_RESERVE_MB,
  HTTP_ROLES,
  STAGE_NAMES,
  STAGES,
  STATEFUL_ROLES,
  type ServerSpec,
  type ServiceSpec,
  type StageSpec,
} from "./stages";
import { memoryFloor } from "./floors";
import { readinessFindings } from "./readiness";
import { formatComposeMemory, formatEur, formatMb } from "./units";
import { planReleases } from "./release";
import { appEnvNameProblem } from "./app";

export * from "./plan-types";

/** Where the pgdata volume is mounted on every server that holds a database: the same path in every stage. */
export const PGDATA_MOUNT_PATH = "/mnt/pgdata";

const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;
const round2 = (eur: number) => Math.round(eur * 100) / 100;

/** Turns validated config into servers, services, limits, volumes and costs. Throws ConfigError listing every problem. */
export function plan(config: OrionConfig): Plan {
  const stage = STAGES[config.stage];
  const problems: ConfigProblem[] = [];
  checkOverridesApply(stage, config, problems);

  const servers = stage.servers.flatMap((spec) =>
    serverNames(spec, config, problems).map((name) => planServer(spec, name, config, problems)),
  );
  const connections = connectionBudget(servers);
  for (const server of servers) {
    for (const service of server.services) {
      if (service.name === "db" || service.name === "db-replica")
        service.postgres = { maxConnections: connections.maxConnections, ...postgresArchiving(config) };
    }
  }

  checkFloors(servers, problems);
  checkBudgets(servers, stage, problems);
  checkConnections(connections, config, problems);
  checkKeepDisk(servers, stage, config, problems);
  const placementGroups = planPlacementGroups(servers, problems);
  if (stage.loadBalancer && config.loadBalancerTls === "hetzner-managed" && !config.domain) {
    problems.push({
      key: key("loadBalancerTls"),
      value: config.loadBalancerTls,
      message: "needs orion:domain (a domain whose DNS zone Hetzner hosts); set orion:domain, or use caddy",
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const volumes = planVolumes(servers, config);
  const loadBalancer = stage.loadBalancer
    ? planLoadBalancer(servers, config.loadBalancerTls, config.app.healthPath)
    : undefined;
  for (const server of servers) server.caddy = planCaddy(server, servers, loadBalancer?.tls);
  const releases = planReleases(servers, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const app = { ...config.app, envNames: appEnvNames(config, problems) };
  if (problems.length > 0) throw new ConfigError(problems);
  const ingress = planIngress(config, loadBalancer);
  const backup = planBackup(servers, config);
  const cost = monthlyCost(servers, volumes, loadBalancer, backup.priceEurMonthly);
  return {
    stage: stage.name,
    location: config.location,
    servers,
    volumes,
    loadBalancer,
    placementGroups,
    ingress,
    backup,
    connections,
    app,
    releases,
    cost,
    findings: [...findings(config, stage, cost), ...ingressFindings(config, ingress)],
  };
}

/** The app's own variables: orion:appEnv's and orion:appSecrets' names, each name once. */
function appEnvNames(config: OrionConfig, problems: ConfigProblem[]): string[] {
  const secretNames = config.appSecretNames ?? [];
  for (const name of secretNames) {
    const problem = appEnvNameProblem(name);
    if (problem) problems.push({ key: key(`appSecrets.${name}`), value: undefined, message: problem });
    else if (name in config.appEnv)
      problems.push({
        key: key(`appSecrets.${name}`),
        value: undefined,
        message: "is also set in orion:appEnv; keep it in one of the two",
      });
  }
  return [...new Set([...Object.keys(config.appEnv), ...secretNames])].sort();
}

function checkOverridesApply(stage: StageSpec, config: OrionConfig, problems: ConfigProblem[]): void {
  const roles = new Set(stage.servers.map((s) => s.role));
  for (const role of Object.keys(config.serverTypes)) {
    if (!roles.has(role as ServerSpec["role"])) {
      problems.push({
        key: key(`serverTypes.${role}`),
        value: config.serverTypes[role as ServerSpec["role"]],
        message: `names a role the ${stage.name} stage does not have; its roles are ${[...roles].join(", ")}`,
      });
    }
  }
  const services = new Set(stage.servers.flatMap((s) => s.services.map((x) => x.service)));
  for (const [field, map] of [
    ["memoryLimits", config.memoryLimitsMb],
    ["replicas", config.replicas],
  ] as const) {
    for (const service of Object.keys(map)) {
      if (!services.has(service as ServiceName)) {
        problems.push({
          key: key(`${field}.${service}`),
          value: map[service as ServiceName],
          message: `names a service the ${stage.name} stage does not run; it runs ${[...services].join(", ")}`,
        });
      }
    }
  }
  const counted = new Set(stage.servers.flatMap((s) => (s.count ? [s.count.configKey] : [])));
  for (const countKey of ["apiServers", "workerServers", "dbReplicas"] as const) {
    if (config[countKey] !== undefined && !counted.has(countKey)) {
      problems.push({
        key: key(countKey),
        value: config[countKey],
        message: `is only used by the enterprise stage; remove it or set orion:stage to enterprise`,
      });
    }
  }
}

function serverNames(spec: ServerSpec, config: OrionConfig, problems: ConfigProblem[]): string[] {
  if (!spec.count) return [spec.name];
  const { configKey, min, max, alreadyCounted } = spec.count;
  const wanted = config[configKey] ?? spec.count.default;
  if (wanted < min || wanted > max) {
    problems.push({
      key: key(configKey),
      value: wanted,
      message: `is outside what the stage supports; use ${min} to ${max}`,
    });
    return [];
  }
  return Array.from({ length: wanted - alreadyCounted }, (_, i) => `${spec.name}-${i + 1 + alreadyCounted}`);
}

function chooseType(spec: ServerSpec, config: OrionConfig, problems: ConfigProblem[]): ServerTypeName {
  const chosen = config.serverTypes[spec.role];
  if (chosen === undefined) return spec.type;
  if (!spec.allowedTypes.includes(chosen)) {
    problems.push({
      key: key(`serverTypes.${spec.role}`),
      value: chosen,
      message: `is not offered for the ${spec.role} server in this stage; use one of ${spec.allowedTypes.join(", ")}`,
    });
    return spec.type;
  }
  return chosen;
}

function planServer(spec: ServerSpec, name: string, config: OrionConfig, problems: ConfigProblem[]): PlannedServer {
  const type = SERVER_TYPES[chooseType(spec, config, problems)];
  const reserve = HOST_RESERVE_MB[spec.role];
  const services = spec.services.map((s) => planService(s, name, type.name, config, problems));
  const containersMb = services.reduce((sum, s) => sum + s.totalMb, 0);
  const disk = serverDisk(config.stage, spec.role, type.name, config.keepDisk[name] ?? true);
  return {
    name,
    role: spec.role,
    type: type.name,
    vcpu: type.vcpu,
    ramMb: type.ramMb,
    diskGb: disk.diskGb,
    disk,
    hostReserveMb: reserve.mb,
    hostReserveCovers: reserve.covers,
    services,
    containersMb,
    headroomMb: type.ramMb - containersMb - reserve.mb,
    holdsData: STATEFUL_ROLES.includes(spec.role),
    serverBackups: config.backups && keepsDataOnDisk({ services }),
    servesHttp: HTTP_ROLES.includes(spec.role),
    priceEurMonthly: type.priceEurMonthly,
  };
}

function planService(
  spec: ServiceSpec,
  serverName: string,
  type: ServerTypeName,
  config: OrionConfig,
  problems: ConfigProblem[],
): PlannedService {
  const info = SERVICES[spec.service];
  const override = config.memoryLimitsMb[spec.service];
  const stageMb = typeof spec.memoryMb === "number" ? spec.memoryMb : spec.memoryMb[type];
  if (override === undefined && stageMb === undefined) {
    // A stage that offers a server type must size every service for it; this is a bug in stages.ts, not in the config.
    throw new Error(`stage data gives ${spec.service} on ${serverName} no memory limit for ${type}`);
  }
  const memoryLimitMb = override ?? stageMb!;

  const range = spec.replicas ?? { default: 1, min: 1, max: 1 };
  const replicaOverride = config.replicas[spec.service];
  let replicas = replicaOverride ?? range.default;
  if (replicaOverride !== undefined && (replicaOverride < range.min || replicaOverride > range.max)) {
    const accepted =
      range.min === range.max
        ? `${spec.service} runs exactly ${range.min} in this stage`
        : `use ${range.min} to ${range.max}`;
    problems.push({
      key: key(`replicas.${spec.service}`),
      value: replicaOverride,
      message: `is outside what the stage supports; ${accepted}`,
    });
    replicas = range.default;
  }

  const planned: PlannedService = {
    name: spec.service,
    group: info.group,
    purpose: info.purpose,
    image: info.image === "app" ? config.appImage : info.image,
    memoryLimitMb,
    replicas,
    totalMb: memoryLimitMb * replicas,
    overridden: override !== undefined || replicaOverride !== undefined,
    ...spec.settings,
  };

  if (planned.api && config.uvicornWorkers !== undefined) {
    planned.api = { ...planned.api, uvicornWorkers: config.uvicornWorkers };
    planned.overridden = true;
  }
  if (planned.api) {
    const max = maxUvicornWorkers(SERVER_TYPES[type]);
    if (planned.api.uvicornWorkers > max) {
      problems.push({
        key: key("uvicornWorkers"),
        value: planned.api.uvicornWorkers,
        message: `is above the guide's 2 x vCPU + 1 = ${max} for ${serverName} (${type}, ${SERVER_TYPES[type].vcpu} vCPU); use at most ${max}`,
      });
    }
  }
  if (spec.service === "celery-worker") planned.celery = celerySettings(memoryLimitMb, SERVER_TYPES[type].vcpu);
  return planned;
}

/** Limits below what a service's settings need render files that cannot run; see floors.ts. */
function checkFloors(servers: PlannedServer[], problems: ConfigProblem[]): void {
  for (const server of servers) {
    for (const service of server.services) {
      const floor = memoryFloor(service);
      if (service.memoryLimitMb >= floor.mb) continue;
      problems.push({
        key: key(`memoryLimits.${service.name}`),
        value: undefined,
        message: `is ${formatMb(service.memoryLimitMb)} on ${server.name}, below its floor of ${formatMb(floor.mb)}: ${floor.because}; use ${formatComposeMemory(floor.mb)} or more`,
      });
    }
  }
}

function checkBudgets(servers: PlannedServer[], stage: StageSpec, problems: ConfigProblem[]): void {
  for (const server of servers) {
    if (server.headroomMb >= 0) continue;
    const overridden = server.services.filter((s) => s.overridden).map((s) => s.name);
    const spec = stage.servers.find((s) => s.role === server.role)!;
    const bigger = spec.allowedTypes.filter((t) => SERVER_TYPES[t].ramMb > server.ramMb);
    const fixes = [
      overridden.length > 0
        ? `lower orion:memoryLimits or orion:replicas for ${overridden.join(", ")}`
        : "lower memory limits with orion:memoryLimits",
      ...(bigger.length > 0
        ? [`choose a larger server with orion:serverTypes.${server.role} (${bigger.join(", ")})`]
        : []),
    ];
    problems.push({
      key: `server ${server.name}`,
      value: undefined,
      message:
        `(${server.type}, ${formatMb(server.ramMb)} RAM) overflows by ${formatMb(-server.headroomMb)}: ` +
        `containers ${formatMb(server.containersMb)} + host reserve ${formatMb(server.hostReserveMb)} = ${formatMb(server.containersMb + server.hostReserveMb)}; ${fixes.join(" or ")}`,
    });
  }
}

function checkKeepDisk(
  servers: PlannedServer[],
  stage: StageSpec,
  config: OrionConfig,
  problems: ConfigProblem[],
): void {
  const names = servers.map((s) => s.name);
  for (const server of Object.keys(config.keepDisk)) {
    if (!names.includes(server)) {
      problems.push({
        key: key(`keepDisk.${server}`),
        value: config.keepDisk[server],
        message: `names a server the ${stage.name} stage does not have; its servers are ${names.join(", ")}`,
      });
    }
  }
}

function checkConnections(connections: Plan["connections"], config: OrionConfig, problems: ConfigProblem[]): void {
  const pool = connections.pgbouncer;
  if (pool && connections.clientTotal > pool.maxClientConn) {
    problems.push({
      key: config.uvicornWorkers !== undefined ? key("uvicornWorkers") : `pgbouncer on ${pool.server}`,
      value: config.uvicornWorkers,
      message:
        `makes the app open up to ${connections.clientTotal} client connections (${describeClients(connections.clients)}), ` +
        `above PgBouncer's max_client_conn ${pool.maxClientConn}; use fewer Uvicorn workers or Celery replicas`,
    });
  }
}

function planVolumes(servers: PlannedServer[], config: OrionConfig): PlannedVolume[] {
  const price = round2(config.pgdataVolumeGb * HETZNER_EXTRAS.volumePerGbEurMonthly);
  return servers
    .filter((server) => server.services.some((s) => s.name === "db" || s.name === "db-replica"))
    .map((server) => ({
      // The primary's volume is `pgdata` in every stage, whichever server it is attached to, so moving stage never replaces it.
      name: server.services.some((s) => s.name === "db") ? "pgdata" : `pgdata-${server.name}`,
      server: server.name,
      sizeGb: config.pgdataVolumeGb,
      mountPath: PGDATA_MOUNT_PATH,
      priceEurMonthly: price,
    }));
}

function monthlyCost(
  servers: PlannedServer[],
  volumes: PlannedVolume[],
  loadBalancer: PlannedLoadBalancer | undefined,
  objectStorageEur: number,
): MonthlyCost {
  const serversEur = round2(servers.reduce((sum, s) => sum + s.priceEurMonthly, 0));
  const volumesEur = round2(volumes.reduce((sum, v) => sum + v.priceEurMonthly, 0));
  const loadBalancerEur = loadBalancer?.priceEurMonthly ?? 0;
  // Server backups only where data lives on the server's own disk; volumes are never in them.
  const backupsEur = round2(
    servers
      .filter((s) => s.serverBackups)
      .reduce((sum, s) => sum + s.priceEurMonthly * HETZNER_EXTRAS.backupShareOfServerPrice, 0),
  );
  return {
    serversEur,
    volumesEur,
    loadBalancerEur,
    backupsEur,
    objectStorageEur,
    totalEur: round2(serversEur + volumesEur + loadBalancerEur + backupsEur + objectStorageEur),
  };
}

function findings(config: OrionConfig, stage: StageSpec, cost: MonthlyCost): Finding[] {
  const out: Finding[] = [];
  if (config.adminCidrs.length === 0) {
    out.push({
      severity: "warning",
      key: key("adminCidrs"),
      message:
        "is empty, so SSH is closed to everyone and `pulumi up` cannot deploy; add the address of the machine that runs it",
    });
  }
  if (config.adminCidrs.some((c) => c === "0.0.0.0/0" || c === "::/0")) {
    out.push({
      severity: "warning",
      key: key("adminCidrs"),
      message: "opens SSH to the whole internet; list the addresses of your team and CI runner instead",
    });
  }
  if (config.sshPublicKeys.length === 0) {
    out.push({
      severity: "warning",
      key: key("sshPublicKeys"),
      message: "is empty, so no key can log in to the servers; add the public key that `pulumi up` deploys with",
    });
  }
  out.push(...readinessFindings(config));
  if (!config.databaseBackups.bucket) {
    out.push({
      severity: "warning",
      blocksUp: true,
      key: key("backupBucket"),
      message:
        "is not set, so `pulumi up` refuses to deploy: the database has no backup off the server; create a bucket in Hetzner Object Storage and set it (README: Backups and restore)",
    });
  }
  if (config.monthlyBudgetEur !== undefined && cost.totalEur > config.monthlyBudgetEur) {
    out.push({
      severity: "advisory",
      key: key("monthlyBudgetEur"),
      message: `is ${formatEur(config.monthlyBudgetEur)}, but the ${stage.name} stage costs ${formatEur(cost.totalEur)} a month`,
    });
  }
  if (config.clients !== undefined || config.stores !== undefined) {
    const called = stageForLoad(config.clients ?? 0, config.stores ?? 0);
    if (STAGE_NAMES.indexOf(called.name) > STAGE_NAMES.indexOf(stage.name)) {
      out.push({
        severity: "advisory",
        key: key("stage"),
        message: `is ${stage.name}, but ${config.clients ?? 0} clients and ${config.stores ?? 0} stores call for ${called.name} in the guide (${called.trigger}); plan the move with \`pulumi config set orion:stage ${called.name}\``,
      });
    }
  }
  return out;
}

/** Without a domain the API is not on the internet: `pulumi up` says so and how to reach it. */
function ingressFindings(config: OrionConfig, ingress: Plan["ingress"]): Finding[] {
  if (config.domain) return [];
  return [{ severity: "warning", key: key("domain"), message: noDomainMessage(ingress) }];
}

/** The largest stage whose guide trigger (clients or stores) the given load reaches; launch when none does. */
export function stageForLoad(clients: number, stores: number): StageSpec {
  const reached = STAGE_NAMES.map((n) => STAGES[n]).filter(
    (s) => s.loadTrigger && (clients >= s.loadTrigger.clients || stores >= s.loadTrigger.stores),
  );
  return reached.length > 0 ? reached[reached.length - 1] : STAGES.launch;
}
