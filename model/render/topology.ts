import { endpoint } from "../addresses";
import type { Plan, PlannedServer } from "../plan-types";
import type { ServiceName } from "../services";
import { formatMb } from "../units";
import { GENERATED_NOTICE } from "./stages-doc";

const id = (...parts: string[]) => parts.join("_").replace(/[^A-Za-z0-9_]/g, "_");
const has = (server: PlannedServer, name: ServiceName) => server.services.some((s) => s.name === name);

/** A Mermaid flowchart of one stage: servers with their containers and limits, and what talks to what. */
export function renderTopology(plan: Plan): string {
  const lines = ["flowchart LR", '  internet(("Internet"))'];
  for (const server of plan.servers) {
    lines.push(`  subgraph ${id(server.name)}["${server.name}: ${server.type.toUpperCase()}, ${formatMb(server.ramMb)} RAM"]`);
    for (const s of server.services) {
      const limit = s.replicas > 1 ? `${s.replicas} x ${formatMb(s.memoryLimitMb)}` : formatMb(s.memoryLimitMb);
      lines.push(`    ${id(server.name, s.name)}["${s.name}<br/>${limit}"]`);
    }
    lines.push("  end");
  }
  const edges = new Set<string>();
  const link = (from: PlannedServer, a: ServiceName, to: ServiceName, label: string, dashed = false) => {
    const target = endpoint(plan, to, from);
    if (!target) return;
    edges.add(`  ${id(from.name, a)} ${dashed ? "-.->" : "-->"}|${label}| ${id(target.server, to)}`);
  };
  if (plan.loadBalancer) {
    lines.push(`  lb{{"load balancer ${plan.loadBalancer.type}"}}`);
    edges.add("  internet -->|HTTPS| lb");
    for (const t of plan.loadBalancer.targets) edges.add(`  lb -->|"${plan.loadBalancer.tls === "caddy" ? "TCP to Caddy" : "HTTP to Caddy"}, private network"| ${id(t, "api")}`);
    // Passed through to one Caddy, which spreads requests over every API server.
    for (const server of plan.servers.filter((s) => s.caddy)) {
      for (const upstream of server.caddy!.upstreamServers.filter((u) => u !== server.name)) edges.add(`  ${id(server.name, "api")} -->|"Caddy, private network"| ${id(upstream, "api")}`);
    }
  } else {
    for (const server of plan.servers.filter((s) => s.servesHttp && has(s, "api"))) edges.add(`  internet -->|"HTTPS (Caddy)"| ${id(server.name, "api")}`);
  }
  for (const server of plan.servers) {
    for (const client of ["api", "celery-worker", "celery-beat"] as const) {
      if (!has(server, client)) continue;
      link(server, client, plan.connections.viaPgBouncer ? "pgbouncer" : "db", "SQL");
      link(server, client, plan.servers.some((s) => has(s, "redis-sentinel")) ? "redis-sentinel" : "redis", "broker");
    }
    if (has(server, "pgbouncer")) link(server, "pgbouncer", "db", "pool");
    if (has(server, "db-replica")) link(server, "db-replica", "db", "streams WAL from", true);
    if (has(server, "redis-replica")) link(server, "redis-replica", "redis", "replicates", true);
  }
  const prometheus = plan.servers.find((s) => has(s, "prometheus"));
  if (prometheus) for (const server of plan.servers.filter((s) => s !== prometheus)) edges.add(`  ${id(prometheus.name, "prometheus")} -.->|scrapes| ${id(server.name)}`);
  return [...lines, ...[...edges].sort()].join("\n");
}

/** docs/topology.md: one diagram per stage. */
export function renderTopologyDoc(plans: Plan[]): string {
  const out = [GENERATED_NOTICE, "", "# Topology", "", "Servers, containers with their memory limits, and the connections between them, per stage.", ""];
  for (const p of plans) out.push(`## ${p.stage}`, "", "```mermaid", renderTopology(p), "```", "");
  return out.join("\n");
}
