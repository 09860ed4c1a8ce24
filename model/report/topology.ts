import markdownTable from "markdown-table";
import { endpoint, privateIp } from "../addresses";
import type { Plan, PlannedServer, PlannedService } from "../plan-types";
import { SERVICES, type ServiceName } from "../services";
import { formatMb } from "../units";
import { GENERATED_NOTICE } from "./stages-doc";

/**
 * One picture per stage: servers as boxes and the connections between them,
 * with the containers of each server in a table under it. Containers stay out
 * of the picture: a box per container made every edge cross unrelated boxes.
 */

const id = (...parts: string[]) => parts.join("_").replace(/[^A-Za-z0-9_]/g, "_");
const has = (server: PlannedServer, name: ServiceName) => server.services.some((s) => s.name === name);
const APP_CLIENTS: ServiceName[] = ["api", "celery-worker", "celery-beat"];

/** Servers that run the same containers with the same limits are one box: worker-1 and worker-2. */
interface Box {
  id: string;
  servers: PlannedServer[];
}

function boxes(plan: Plan): Box[] {
  const out: Box[] = [];
  const shape = (s: PlannedServer) =>
    `${s.role}|${s.type}|${s.services.map((x) => `${x.name}:${x.memoryLimitMb}x${x.replicas}`).join(",")}`;
  for (const server of plan.servers) {
    const same = out.find((b) => b.servers[0].role === server.role && shape(b.servers[0]) === shape(server));
    if (same) same.servers.push(server);
    else out.push({ id: id(server.name), servers: [server] });
  }
  return out;
}

/** Characters on one line of a box: Mermaid wraps wider labels at their hyphens (celery- / beat). */
const BOX_LINE_CHARS = 26;

/** What a server is for, in a few words: its main containers, not its exporters, in lines short enough for a narrow box. */
function roleLine(server: PlannedServer): string {
  const main = server.services
    .filter((s) => s.group === "app")
    .map((s) => (s.replicas > 1 ? `${s.name} ×${s.replicas}` : s.name));
  if (has(server, "prometheus")) main.push("monitoring");
  const lines: string[][] = [[]];
  for (const item of main) {
    const line = lines[lines.length - 1];
    if (line.length > 0 && [...line, item].join(", ").length + 1 > BOX_LINE_CHARS) lines.push([item]);
    else line.push(item);
  }
  return lines.map((l) => l.join(", ")).join(",<br/>");
}

function boxLabel(plan: Plan, box: Box): string {
  const first = box.servers[0];
  const names = box.servers.length === 1 ? first.name : `${first.name} … ${box.servers[box.servers.length - 1].name}`;
  const count = box.servers.length === 1 ? "" : ` ×${box.servers.length}`;
  const volume = plan.volumes.find((v) => v.server === first.name);
  const disk = volume ? `<br/><small>+ ${volume.sizeGb} GB volume</small>` : "";
  return `"<b>${names}</b><br/>${first.type.toUpperCase()}${count}, ${formatMb(first.ramMb)}<br/><small>${roleLine(first)}</small>${disk}"`;
}

/** Servers whose containers open connections (API, Celery) sit above the servers that hold data. */
const isAppTier = (box: Box) => APP_CLIENTS.some((c) => has(box.servers[0], c));

interface Edge {
  from: string;
  to: string;
  label: string;
  dashed?: boolean;
}

/** The connections between servers (and the internet), each once per pair of boxes. */
function edges(plan: Plan, byServer: Map<string, Box>): Edge[] {
  const out: Edge[] = [];
  const add = (from: string, to: string, label: string, dashed = false) => {
    if (from !== to && !out.some((e) => e.from === from && e.to === to && e.label === label))
      out.push({ from, to, label, dashed });
  };
  const boxOf = (server: string) => byServer.get(server)!.id;
  if (plan.loadBalancer) {
    add("internet", "lb", "HTTPS");
    const passThrough = plan.loadBalancer.tls === "caddy";
    for (const target of plan.loadBalancer.targets)
      add("lb", boxOf(target), passThrough ? "TCP to Caddy" : "HTTP to Caddy");
    // Passed through to one Caddy, which spreads requests over every API server. Drawn from
    // the load balancer: an edge between two boxes of the same tier doubled enterprise's width.
    for (const server of plan.servers.filter((s) => s.caddy)) {
      for (const upstream of server.caddy!.upstreamServers.filter((u) => u !== server.name))
        add("lb", boxOf(upstream), `via Caddy on ${server.name}`, true);
    }
  } else {
    for (const s of plan.servers.filter((x) => x.servesHttp)) add("internet", boxOf(s.name), "HTTPS via Caddy");
  }
  const pooled = plan.connections.viaPgBouncer;
  for (const server of plan.servers) {
    if (!APP_CLIENTS.some((c) => has(server, c))) continue;
    const sql = endpoint(plan, pooled ? "pgbouncer" : "db", server);
    if (sql) add(boxOf(server.name), boxOf(sql.server), pooled ? "SQL via PgBouncer" : "SQL");
    const reads = endpoint(plan, "db-replica", server);
    if (reads) add(boxOf(server.name), boxOf(reads.server), "reads");
    // Celery asks a Sentinel where the master is, then talks to the master: the edge goes there.
    const broker = endpoint(plan, "redis", server);
    if (broker) add(boxOf(server.name), boxOf(broker.server), "broker");
  }
  for (const server of plan.servers) {
    if (has(server, "db-replica"))
      add(boxOf(endpoint(plan, "db", server)!.server), boxOf(server.name), "WAL stream", true);
    if (has(server, "redis-replica"))
      add(boxOf(endpoint(plan, "redis", server)!.server), boxOf(server.name), "replication", true);
  }
  return out;
}

const APP_TIER = "app_servers";
const DATA_TIER = "data_servers";

/**
 * Where every server of the app tier makes the same connection, one edge
 * leaves the tier instead of one per server: enterprise would otherwise draw
 * nine crossing lines for three kinds of connection.
 */
function merged(all: Box[], list: Edge[]): Edge[] {
  const tier = all.filter(isAppTier).map((b) => b.id);
  if (tier.length < 2) return list;
  const out: Edge[] = [];
  for (const e of list) {
    const from = list.filter((x) => x.to === e.to && x.label === e.label).map((x) => x.from);
    const everyone = tier.every((t) => from.includes(t)) && from.every((f) => tier.includes(f));
    if (!everyone) out.push(e);
    else if (!out.some((x) => x.from === APP_TIER && x.to === e.to && x.label === e.label))
      out.push({ ...e, from: APP_TIER });
  }
  return out;
}

/** A Mermaid flowchart of one stage: the servers (with their volumes), the load balancer and the connections between them. */
export function renderTopology(plan: Plan): string {
  const all = boxes(plan);
  const byServer = new Map(all.flatMap((b) => b.servers.map((s) => [s.name, b] as const)));
  // Closer boxes keep enterprise within GitHub's column at full size.
  const lines = [
    "---",
    "config:",
    "  flowchart:",
    "    nodeSpacing: 30",
    "---",
    "flowchart TB",
    '  internet(("Internet"))',
  ];
  if (plan.loadBalancer) lines.push(`  lb{{"load balancer<br/>${plan.loadBalancer.type.toUpperCase()}"}}`);
  const tiers = all.length > 2;
  const group = (tier: string, title: string, members: Box[]) => {
    if (tiers) lines.push(`  subgraph ${tier}["${title}"]`);
    for (const box of members) lines.push(`${tiers ? "    " : "  "}${box.id}[${boxLabel(plan, box)}]`);
    if (tiers) lines.push("  end");
  };
  group(APP_TIER, "application servers", all.filter(isAppTier));
  group(
    DATA_TIER,
    "data servers",
    all.filter((b) => !isAppTier(b)),
  );
  for (const e of merged(all, edges(plan, byServer)))
    lines.push(`  ${e.from} ${e.dashed ? "-.->" : "-->"}|"${e.label}"| ${e.to}`);
  return lines.join("\n");
}

/** Where a container connects to, in words: `db (SQL), redis (broker)`; other servers named. */
function connectsTo(plan: Plan, server: PlannedServer, service: PlannedService): string {
  const targets: [ServiceName, string][] = [];
  if (APP_CLIENTS.includes(service.name)) {
    targets.push(
      [plan.connections.viaPgBouncer ? "pgbouncer" : "db", "SQL"],
      ["db-replica", "reads"],
      ["redis", "broker"],
    );
  }
  if (service.name === "flower") targets.push(["redis", "broker"]);
  if (service.name === "pgbouncer") targets.push(["db", "pool"]);
  if (service.name === "db-replica") targets.push(["db", "WAL stream"]);
  if (service.name === "redis-replica" || service.name === "redis-sentinel")
    targets.push(["redis", service.name === "redis-sentinel" ? "watches" : "replicates"]);
  if (service.name === "postgres-exporter")
    targets.push([has(server, "db-replica") ? "db-replica" : "db", "reads stats"]);
  if (service.name === "redis-exporter")
    targets.push([has(server, "redis-replica") ? "redis-replica" : "redis", "reads stats"]);
  if (service.name === "prometheus")
    return plan.servers.length > 1
      ? "every server's exporters (scrapes), alertmanager"
      : "the exporters and api (scrapes), alertmanager";
  if (service.name === "grafana") return "prometheus";
  return targets
    .flatMap(([name, what]) => {
      const at = endpoint(plan, name, server);
      if (!at) return [];
      return [`${name}${at.server === server.name ? "" : ` on ${at.server}`} (${what})`];
    })
    .join(", ");
}

function containerTable(plan: Plan, server: PlannedServer): string {
  const rows = server.services.map((s) => [
    s.name,
    formatMb(s.memoryLimitMb),
    String(s.replicas),
    SERVICES[s.name].port !== undefined ? String(SERVICES[s.name].port) : "",
    connectsTo(plan, server, s) || "-",
  ]);
  return markdownTable([["container", "limit", "×", "port", "connects to"], ...rows], {
    align: ["l", "r", "r", "r", "l"],
  });
}

/** docs/topology.md: per stage, the picture of its servers, then a table of each server's containers. */
export function renderTopologyDoc(plans: Plan[]): string {
  const out = [
    GENERATED_NOTICE,
    "",
    "# Topology",
    "",
    "Per stage: the servers and the connections between them, then each server's containers with their memory limits.",
    "Prometheus on the app server scrapes node-exporter and cAdvisor on every server (over the private network where there are several).",
    "",
  ];
  for (const p of plans) {
    out.push(`## ${p.stage}`, "", "```mermaid", renderTopology(p), "```", "");
    for (const server of p.servers) {
      out.push(
        `**${server.name}** (${server.type.toUpperCase()}, ${formatMb(server.ramMb)} RAM${privateIpNote(p, server)}): ${formatMb(server.containersMb)} of containers`,
        "",
        containerTable(p, server),
        "",
      );
    }
  }
  return out.join("\n");
}

function privateIpNote(plan: Plan, server: PlannedServer): string {
  return plan.servers.length > 1 ? `, ${privateIp(server)}` : "";
}
