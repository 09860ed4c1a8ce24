import { mb, type Finding } from "../lib/finding";
import {
  composeAt,
  forEachCompose,
  replicasOf,
  stackCheck,
  type OrionStackPolicy,
  type ReadableDeployment,
} from "../lib/policy";
import { dataHeldBy, hostReserveOf, serverTypeOf } from "../lib/servers";
import { isKnownString } from "../lib/props";
import { appPool, celeryConcurrency, uvicornWorkers } from "../files/app";
import { pgbouncerConfig } from "../files/pgbouncer";
import { postgresConfig, settingOf } from "../files/postgres";
import { redisBytes, redisConfig } from "../files/redis";
import { kindOf } from "../files/services";
import type { ComposeService } from "../files/compose";
import { builtImageOf } from "../lib/built-image";
import type { Setting } from "../files/settings";

const withoutDigest = (image: string | undefined) => image?.split("@")[0];

type Figure = { value: string | number | undefined; at?: Setting };

/** Each figure the record declares for a service, as the deployed files say it, with where they say it. */
function serviceFigures(d: ReadableDeployment, s: ComposeService, vcpu: number): Record<string, Figure> {
  const kind = kindOf(s);
  // A service built on the server declares the image it is built from: its Dockerfile's last base.
  const built = builtImageOf(d, s);
  const base = built?.bases.at(-1);
  const image: Figure = built
    ? {
        value: withoutDigest(base?.image),
        ...(base ? { at: { value: base.image, file: built.path, line: base.line, key: "FROM" } } : {}),
      }
    : { value: withoutDigest(s.image) };
  const figures: Record<string, Figure> = {
    image,
    memoryLimitMb: { value: s.memoryMb },
    replicas: { value: replicasOf(d, s) },
    ports: { value: s.ports.map((p) => p.text).join(",") },
  };
  if (kind === "api")
    Object.assign(figures, {
      uvicornWorkers: { value: uvicornWorkers(s) },
      dbPoolSize: { value: appPool(s).size },
      dbMaxOverflow: { value: appPool(s).overflow },
    });
  if (kind === "celery-worker") figures.celeryConcurrency = { value: celeryConcurrency(s, vcpu) };
  if (kind === "redis") {
    const redis = redisConfig(d, s, d.composePath);
    const maxmemory = redis.settings.get("maxmemory");
    const bytes = maxmemory ? redisBytes(maxmemory.value) : undefined;
    figures.redisMaxmemoryMb = { value: bytes === undefined ? undefined : bytes / 1024 / 1024, at: maxmemory };
    figures.redisMaxmemoryPolicy = {
      value: redis.settings.get("maxmemory-policy")?.value,
      at: redis.settings.get("maxmemory-policy"),
    };
  }
  if (kind === "pgbouncer") {
    const pool = pgbouncerConfig(d, s, d.composePath);
    figures.pgbouncerMaxClientConn = {
      value: pool.get("max_client_conn").value,
      at: pool.get("max_client_conn").setting,
    };
    figures.pgbouncerDefaultPoolSize = {
      value: pool.get("default_pool_size").value,
      at: pool.get("default_pool_size").setting,
    };
  }
  if (kind === "postgres") {
    const max = settingOf(postgresConfig(d, s, d.composePath), "max_connections");
    figures.postgresMaxConnections = { value: Number(max.value), at: max.setting };
  }
  return figures;
}

const show = (key: string, value: unknown) =>
  value === undefined
    ? "none"
    : key === "memoryLimitMb" || key === "redisMaxmemoryMb"
      ? mb(value as number)
      : typeof value === "string"
        ? value
        : JSON.stringify(value);

/**
 * The program declares each server's budget beside its deploy (the first
 * trigger) for review and for messages. Every other policy judges the files
 * and the servers; this one makes sure the declaration tells the truth, so
 * that a reviewer reading it reads what runs.
 */
export const deployEnforceBudgetMatch: OrionStackPolicy = {
  name: "deploy-enforce-budget-match",
  description:
    "The budget a deploy declares (its first trigger) must match its server and the files it writes: type, location, reserve, services, limits, replicas, ports and settings.",
  enforcementLevel: "mandatory",
  reads: [
    "the deploy command's first trigger (the declared budget)",
    "compose file, redis.conf, pgbouncer.ini, postgresql.conf",
    "hcloud Server: `serverType`, `location`, label `orion-role`",
  ],
  validateStack: stackCheck((view, report) => {
    forEachCompose(view, (d) => {
      const record = d.record;
      if (!record) return;
      const base: Pick<Finding, "server" | "urn"> = { server: d.serverName, urn: d.command.urn };
      const say = (key: string, declared: unknown, actual: unknown) =>
        report({
          ...base,
          key: `triggers[0].${key}`,
          problem: `the declared budget says ${key} ${show(key, declared)}, but the server has ${show(key, actual)}`,
          fix: "declare the server the deploy runs on: the record and the server come from the same plan",
        });
      const server = d.server;
      if (server) {
        if (isKnownString(server.serverType) && record.serverType !== server.serverType)
          say("serverType", record.serverType, server.serverType);
        if (isKnownString(server.location) && record.location !== server.location)
          say("location", record.location, server.location);
        if (record.server !== server.name) say("server", record.server, server.name);
        if (server.role !== undefined && record.role !== server.role) say("role", record.role, server.role);
        if (record.hostReserveMb !== hostReserveOf(server).mb)
          say("hostReserveMb", record.hostReserveMb, hostReserveOf(server).mb);
        if (record.holdsData !== dataHeldBy(server).length > 0)
          say("holdsData", record.holdsData, dataHeldBy(server).length > 0);
      }
      const vcpu = (server && serverTypeOf(server)?.vcpu) ?? 1;
      // Caddy's limit is carved out of the host reserve, so the record declares it apart from the services.
      const hostServices = (record.hostServices ?? []).map((s) => ({ ...s, replicas: 1, ports: [] as string[] }));
      const declared = new Map([...record.services, ...hostServices].map((s) => [s.name, s]));
      for (const s of d.compose.services) {
        const planned = declared.get(s.name);
        if (!planned) {
          report({
            ...composeAt(d, ["services", s.name]),
            problem: `runs ${s.name}, which the declared budget does not list`,
            fix: "declare every service the compose file runs",
          });
          continue;
        }
        const expected: Record<string, unknown> = {
          ...planned,
          ports: planned.ports.join(","),
          image: withoutDigest(planned.image),
        };
        for (const [key, { value, at }] of Object.entries(serviceFigures(d, s, vcpu))) {
          if (expected[key] === value || (!(key in expected) && value === undefined)) continue;
          const path =
            key === "memoryLimitMb"
              ? (s.memoryPath ?? ["services", s.name])
              : key === "replicas"
                ? (s.replicasPath ?? ["services", s.name])
                : key === "image"
                  ? ["services", s.name, "image"]
                  : key === "ports"
                    ? ["services", s.name, "ports"]
                    : key === "dbPoolSize"
                      ? ["services", s.name, "environment", "DB_POOL_SIZE"]
                      : key === "dbMaxOverflow"
                        ? ["services", s.name, "environment", "DB_MAX_OVERFLOW"]
                        : ["services", s.name, "command"];
          const where = at
            ? { server: d.serverName, urn: d.command.urn, file: at.file, line: at.line, key: at.key }
            : composeAt(d, path);
          report({
            ...where,
            problem: `${s.name} runs with ${key} ${show(key, value)}, but the declared budget says ${show(key, expected[key])}`,
            fix: "declare what the deploy renders: the record and the files come from the same plan",
          });
        }
      }
      const running = new Set(d.compose.services.map((s) => s.name));
      for (const name of declared.keys())
        if (!running.has(name))
          report({
            ...base,
            file: d.composePath,
            key: `services.${name}`,
            problem: `the declared budget lists ${name}, which the compose file does not run`,
            fix: "declare only the services the compose file runs",
          });
    });
  }),
};
