import { SERVICES } from "../../model/services";
import type { TestBed } from "./bed";
import type { ContainerState } from "./host";
import { ALL_PORTS } from "./probes";
import type { ProgramRun } from "./program";
import { waitUntil } from "./run";

/**
 * What the scenarios read off the running hosts, in the plan's terms. Each
 * answer comes from the hosts (docker inspect, a port scan, an HTTP answer)
 * and is compared with the plan or with what another server's rendered
 * files point at: never with the rendered files of the same server.
 */

const MB = 1024 * 1024;

export interface StackState {
  containers: Record<string, ContainerState[]>;
  /** `server/container: status/health` of every container that is not running and healthy (running, where it has no health check). */
  unhealthy: string[];
  /** `server/service: planned X MB, docker inspect Y MB` (and services whose container count differs from the plan's replicas). */
  mismatches: string[];
}

export async function stackState(bed: TestBed, servers = [...bed.hosts.keys()]): Promise<StackState> {
  const containers: StackState["containers"] = {};
  const unhealthy: string[] = [];
  const mismatches: string[] = [];
  for (const name of servers) {
    const host = bed.host(name);
    const planned = bed.program.plan.servers.find((s) => s.name === name);
    const list = await host.containers();
    containers[name] = list;
    for (const c of list) {
      if (!c.running || (c.health !== undefined && c.health !== "healthy"))
        unhealthy.push(`${name}/${c.name}: ${c.status}${c.health ? `/${c.health}` : ""}`);
      const service = planned?.services.find((s) => s.name === c.service);
      const expected = service ? service.memoryLimitMb * MB : hostServiceLimit(bed.program, name, c.service);
      if (expected === undefined) mismatches.push(`${name}/${c.name}: service ${c.service} is not in the plan`);
      else if (c.memoryBytes !== expected)
        mismatches.push(`${name}/${c.service}: planned ${expected / MB} MB, docker inspect ${c.memoryBytes / MB} MB`);
    }
    for (const s of planned?.services ?? []) {
      const count = list.filter((c) => c.service === s.name).length;
      if (count !== s.replicas)
        mismatches.push(`${name}/${s.name}: planned ${s.replicas} container(s), ${count} on the host`);
    }
  }
  return { containers, unhealthy, mismatches };
}

/** Caddy's limit is the plan's too, carved out of the host reserve rather than added to the containers. */
function hostServiceLimit(program: ProgramRun, server: string, service: string): number | undefined {
  const caddy = program.plan.servers.find((s) => s.name === server)?.caddy;
  return service === "caddy" && caddy ? caddy.memoryLimitMb * MB : undefined;
}

/** Waits until every container of the servers is up and healthy; returns the state it saw last. */
export async function waitHealthy(
  bed: TestBed,
  servers = [...bed.hosts.keys()],
  timeoutMs = 300_000,
  except: (c: ContainerState) => boolean = () => false,
): Promise<StackState> {
  let last: StackState | undefined;
  try {
    await waitUntil(
      "every container healthy",
      async () => {
        last = await stackState(bed, servers);
        const bad = Object.entries(last.containers).flatMap(([, list]) =>
          list.filter((c) => !except(c) && (!c.running || (c.health !== undefined && c.health !== "healthy"))),
        );
        return bad.length === 0;
      },
      timeoutMs,
      2000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${last?.unhealthy.join("\n")}`);
  }
  return last!;
}

/** The ports Caddy answers on: 80 and 443 on every address where it terminates TLS; 80 on the private address behind a TLS-terminating load balancer. */
function caddyPorts(program: ProgramRun, server: string): { public: number[]; private: number[] } {
  const caddy = program.plan.servers.find((s) => s.name === server)?.caddy;
  if (!caddy) return { public: [], private: [] };
  return caddy.mode === "tls" ? { public: [80, 443], private: [80, 443] } : { public: [], private: [80] };
}

const escape = (ip: string) => ip.replace(/\./g, "\\.");

/**
 * The ports of `server` that other servers of the plan use: every
 * `<its private IP>:<port>` (URLs, scrape targets), `host=<ip> port=<port>`
 * (PgBouncer), `-h <ip> -p <port>` (pg_basebackup) and `<ip> <port>`
 * after `replicaof` or `sentinel monitor` in another server's rendered files
 * and env file; the load balancer's destination and health check ports on its targets; and the
 * Redis port of the replica Sentinel may promote (the Sentinels and the old
 * master then connect to it).
 */
export function portsOthersUse(program: ProgramRun, server: string): number[] {
  const ip = escape(program.servers[server].privateIp);
  const patterns = [
    new RegExp(`${ip}:(\\d+)`, "g"),
    new RegExp(`host=${ip} port=(\\d+)`, "g"),
    new RegExp(`-h ${ip} -p (\\d+)`, "g"),
    new RegExp(`(?:replicaof|sentinel monitor \\S+) ${ip} (\\d+)`, "g"),
  ];
  const ports = new Set<number>();
  for (const c of program.commands.filter((x) => x.server !== server && x.kind === "deploy")) {
    const text = `${c.create}\n${c.stdin ?? ""}`;
    for (const p of patterns) for (const m of text.matchAll(p)) ports.add(Number(m[1]));
  }
  const balancer = program.plan.loadBalancer;
  if (balancer?.targets.includes(server))
    for (const p of [...balancer.services.map((x) => x.destinationPort), balancer.healthCheck.port]) ports.add(p);
  const planned = program.plan.servers.find((s) => s.name === server);
  if (planned?.services.some((s) => s.name === "redis-replica")) ports.add(SERVICES["redis-replica"].port!);
  return [...ports].sort((a, b) => a - b);
}

export interface Exposure {
  server: string;
  publicOpen: number[];
  publicExpected: number[];
  privateOpen: number[];
  privateExpected: number[];
}

/**
 * Every TCP port of an address; an expected port the fast scan missed is
 * asked again, alone and with time to answer: on a loaded machine a connect
 * can take longer than the scan waits, and an open port must not look closed.
 */
async function scan(from: TestBed["operator"], ip: string, expected: number[]): Promise<number[]> {
  const open = new Set(await from.openPorts(ip, ALL_PORTS));
  const missed = expected.filter((p) => !open.has(p));
  if (missed.length > 0) for (const p of await from.openPorts(ip, missed, 15_000)) open.add(p);
  return [...open].sort((a, b) => a - b);
}

/**
 * Scans every TCP port of each server's public address from the operator's
 * machine (the internet) and of its private address from a neighbour on the
 * private network. sshd listens on every address, as on a Hetzner server,
 * and so does a Caddy that terminates TLS: 22 (and its 80/443) answer on both.
 */
export async function exposure(bed: TestBed, servers = [...bed.hosts.keys()]): Promise<Exposure[]> {
  const out: Exposure[] = [];
  for (const name of servers) {
    const host = bed.host(name);
    const web = caddyPorts(bed.program, name);
    const publicExpected = [22, ...web.public];
    const privateExpected = [...new Set([22, ...web.private, ...portsOthersUse(bed.program, name)])].sort(
      (a, b) => a - b,
    );
    const [publicOpen, privateOpen] = await Promise.all([
      scan(bed.operator, host.publicIp, publicExpected),
      scan(bed.neighbour, host.privateIp, privateExpected),
    ]);
    out.push({ server: name, publicOpen, publicExpected, privateOpen, privateExpected });
  }
  return out;
}

/** The figures a scenario prints. */
export function report(title: string, lines: string[]): void {
  process.stdout.write(`\n${title}\n${lines.map((l) => `  ${l}`).join("\n")}\n`);
}
