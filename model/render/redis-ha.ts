import { endpoints, privateIp } from "../addresses";
import type { Plan, PlannedServer, PlannedService } from "../plan-types";
import { SERVICES } from "../services";
import { redisConf } from "./conf-files";
import { SENTINEL_MASTER } from "./service-configs";

/**
 * Redis with Sentinel behind Docker's networking (enterprise).
 *
 * - Each Sentinel announces the address and port the others must use (its
 *   server's private IP, where compose publishes it), not its container's.
 *   Redis does the same for the replica it may become.
 * - Sentinel rewrites its config with what it learns (the current master,
 *   the other Sentinels and replicas, epochs). It runs from a file on its
 *   volume, seeded once, so a restart keeps that; the deploy's settings are
 *   given as arguments on every start, which win over the file and which
 *   Sentinel writes into it too.
 * - Redis decides its role on every start by asking the Sentinels for the
 *   current master: a restarted old master comes back as a replica of the
 *   promoted one, never as a second master. Only when no Sentinel answers
 *   (the whole set starting for the first time) does it take its planned
 *   role. It runs from a writable copy of its config, so Sentinel's CONFIG
 *   REWRITE after a failover succeeds.
 */

export interface Address {
  host: string;
  port: number;
}

/** Where one Redis or Sentinel runs and whom it talks to; tests move these to loopback. */
export interface RedisHaLayout {
  /** This instance's address as the others reach it. */
  self: Address;
  /** Every Sentinel, this one included where it is one. */
  sentinels: Address[];
  /** The master the set starts with (the redis server). */
  plannedMaster: Address;
  /** The read-only config the deploy writes, as the container sees it. */
  template: string;
  /** The writable directory (the named volume). */
  dataDir: string;
}

/** Seconds to wait for each Sentinel's answer, so that an unreachable server does not hold the start for a TCP timeout. */
const SENTINEL_QUERY_TIMEOUT_S = 2;
/** Rounds over all Sentinels before falling back to the planned role: a server's own Sentinel may be starting beside it. */
const SENTINEL_QUERY_ROUNDS = 5;

export const REDIS_TEMPLATE = "/usr/local/etc/redis/redis.conf";
export const REDIS_START_SCRIPT = "/usr/local/etc/redis/start.sh";
export const SENTINEL_TEMPLATE = "/etc/redis/sentinel.conf";
export const SENTINEL_START_SCRIPT = "/etc/redis/start.sh";

/** The set as the plan places it: Sentinels on their servers' private IPs, the redis server's Redis as the first master. */
export function redisHaLayout(
  plan: Plan,
  server: PlannedServer,
  service: "redis" | "redis-replica" | "redis-sentinel",
): RedisHaLayout {
  const port = SERVICES[service].port!;
  const master = endpoints(plan, "redis")[0];
  return {
    self: { host: privateIp(server), port },
    sentinels: endpoints(plan, "redis-sentinel").map((e) => ({ host: e.host, port: e.port })),
    plannedMaster: { host: master.host, port: master.port },
    template: service === "redis-sentinel" ? SENTINEL_TEMPLATE : REDIS_TEMPLATE,
    dataDir: "/data",
  };
}

/** Settings every Sentinel start applies (as arguments), beside the seed's `sentinel monitor` line. */
function sentinelSettings(layout: RedisHaLayout): [string, ...(string | number)[]][] {
  return [
    ["port", layout.self.port],
    ["sentinel", "announce-ip", layout.self.host],
    ["sentinel", "announce-port", layout.self.port],
    ["sentinel", "down-after-milliseconds", SENTINEL_MASTER, 5000],
    ["sentinel", "failover-timeout", SENTINEL_MASTER, 60000],
    ["sentinel", "parallel-syncs", SENTINEL_MASTER, 1],
  ];
}

/** The seed of a Sentinel's config: copied to its volume on its first start only. */
export function sentinelSeedConf(layout: RedisHaLayout, sentinel: PlannedService): string {
  const [port, ...rest] = sentinelSettings(layout);
  return redisConf([
    port,
    [
      "sentinel",
      "monitor",
      SENTINEL_MASTER,
      layout.plannedMaster.host,
      layout.plannedMaster.port,
      sentinel.sentinel!.quorum,
    ],
    ...rest,
  ]);
}

const shellWord = (text: string | number) =>
  /^[A-Za-z0-9_.:/-]+$/.test(String(text)) ? String(text) : `'${String(text).replace(/'/g, `'"'"'`)}'`;
const asArguments = (directives: [string, ...(string | number)[]][]) =>
  directives.map(([name, ...args]) => [`--${name}`, ...args].map(shellWord).join(" ")).join(" ");

/**
 * The command compose runs for Redis or a Sentinel: the start script, given the
 * server's own command line (`redis-server CONFIG`, `--sentinel`), so that a
 * reader of the compose file (the policy pack) sees which config it starts from.
 */
export function redisStartCommand(script: string, layout: RedisHaLayout, sentinel: boolean): string[] {
  return ["sh", script, "redis-server", layout.template, ...(sentinel ? ["--sentinel"] : [])];
}

/** Called as `start.sh redis-server TEMPLATE --sentinel`: the template seeds the live config on the volume once. */
export function sentinelStartScript(layout: RedisHaLayout): string {
  const live = `${layout.dataDir}/sentinel.conf`;
  return [
    "#!/bin/sh",
    "# Sentinel keeps what it learned (current master, peers, epochs) in its own file on the volume; seeded once.",
    "set -eu",
    'server="$1"; template="$2"',
    `if [ ! -s ${live} ]; then cp "$template" ${live}; fi`,
    "# The deploy's settings win on every start, and Sentinel writes them into the file.",
    `exec "$server" ${live} --sentinel ${asArguments(sentinelSettings(layout))}`,
    "",
  ].join("\n");
}

/** Called as `start.sh redis-server TEMPLATE`: Redis runs from a writable copy of the template, in the role the Sentinels give it. */
export function redisStartScript(layout: RedisHaLayout): string {
  const live = `${layout.dataDir}/redis.conf`;
  const sentinels = layout.sentinels.map((s) => `${s.host}:${s.port}`).join(" ");
  const planned =
    layout.self.host === layout.plannedMaster.host && layout.self.port === layout.plannedMaster.port
      ? ""
      : `${layout.plannedMaster.host} ${layout.plannedMaster.port}`;
  return [
    "#!/bin/sh",
    "# The role comes from the Sentinels on every start: a restarted old master follows the promoted one.",
    "set -eu",
    'server="$1"; template="$2"',
    'master=""',
    `for round in $(seq 1 ${SENTINEL_QUERY_ROUNDS}); do`,
    `  for sentinel in ${sentinels}; do`,
    `    answer=$(timeout ${SENTINEL_QUERY_TIMEOUT_S} redis-cli -h "\${sentinel%:*}" -p "\${sentinel##*:}" --raw SENTINEL get-master-addr-by-name ${SENTINEL_MASTER} 2>/dev/null | tr '\\n' ' ') || answer=""`,
    "    set -- $answer",
    '    if [ $# -eq 2 ]; then master="$1 $2"; break 2; fi',
    "  done",
    `  if [ "$round" -lt ${SENTINEL_QUERY_ROUNDS} ]; then sleep 1; fi`,
    "done",
    `if [ -z "$master" ]; then echo "no Sentinel knows a master yet: starting as planned (${planned === "" ? "master" : `replica of ${planned}`})" >&2; master="${planned}"; fi`,
    "# A writable copy: Sentinel's CONFIG REWRITE after a failover needs one; the next start copies the deploy's file again.",
    `cp "$template" ${live}`,
    `set -- ${live} --port ${layout.self.port} --replica-announce-ip ${layout.self.host} --replica-announce-port ${layout.self.port}`,
    `if [ -n "$master" ] && [ "$master" != "${layout.self.host} ${layout.self.port}" ]; then set -- "$@" --replicaof $master; fi`,
    'exec "$server" "$@"',
    "",
  ].join("\n");
}
