import Table from "cli-table3";
import { SERVER_TYPES } from "../catalog";
import type { Plan, PlannedServer } from "../plan-types";
import { STAGES } from "../stages";
import { formatEur, formatMb } from "../units";
import { ramBar, summaryRows } from "./budget";
import { describeRelease } from "../release";

/** The plan for a terminal, in the spirit of the guide's budget tables. */
export function renderPlanText(plan: Plan): string {
  const stage = STAGES[plan.stage];
  const out: string[] = [];
  const count = plan.servers.length;
  out.push(`Stage ${plan.stage} (${stage.title}: ${stage.trigger}) in ${plan.location}: ${count} server${count === 1 ? "" : "s"}, ${formatEur(plan.cost.totalEur)}/month`);
  out.push("");
  for (const server of plan.servers) {
    const release = plan.releases.find((r) => r.server === server.name);
    const line = release ? describeRelease(release, server) : undefined;
    out.push(renderServer(server), ...(line ? [line] : []), "");
  }
  if (plan.volumes.length > 0) {
    out.push("Volumes:");
    for (const v of plan.volumes) out.push(`  ${v.name}: ${v.sizeGb} GB on ${v.server} at ${v.mountPath} (${formatEur(v.priceEurMonthly)}/month, delete-protected)`);
    out.push("");
  }
  if (plan.loadBalancer) {
    const lb = plan.loadBalancer;
    const services = lb.services.map((s) => `${s.protocol} :${s.listenPort} -> :${s.destinationPort}`).join(", ");
    const check = `${lb.healthCheck.protocol} :${lb.healthCheck.port}${lb.healthCheck.path ?? ""}`;
    out.push(`Load balancer ${lb.name} (${lb.type}, TLS: ${lb.tls}): ${services} on ${lb.targets.join(", ")} over the private network, health check ${check}`, "");
  }
  out.push(`API: ${plan.ingress.howReached}`, "");
  out.push(renderConnections(plan), "");
  const c = plan.cost;
  out.push(
    `Monthly cost: servers ${formatEur(c.serversEur)} + volumes ${formatEur(c.volumesEur)} + load balancer ${formatEur(c.loadBalancerEur)} + backups ${formatEur(c.backupsEur)} = ${formatEur(c.totalEur)} (excl. VAT)`,
  );
  if (plan.findings.length > 0) {
    out.push("");
    for (const f of plan.findings) out.push(`${f.severity}: ${f.key} ${f.message}`);
  }
  return out.join("\n");
}

function renderServer(server: PlannedServer): string {
  const type = SERVER_TYPES[server.type];
  const header = `${server.name} (${server.role}): ${server.type.toUpperCase()}, ${type.vcpu} vCPU, ${formatMb(server.ramMb)} RAM, ${type.diskGb} GB disk, ${formatEur(type.priceEurMonthly)}/month`;
  const table = new Table({ head: ["Container", "Limit", "Replicas", "Total", "Purpose"], colAligns: ["left", "right", "right", "right", "left"], style: { head: [], border: [], compact: true } });
  for (const s of server.services) {
    table.push([s.name, formatMb(s.memoryLimitMb), String(s.replicas), formatMb(s.totalMb), s.purpose + (s.overridden ? " (overridden)" : "")]);
  }
  for (const row of summaryRows(server)) table.push([row.label, "", "", row.text, ""]);
  const legend = `${ramBar(server)} █ containers ▒ host reserve ░ headroom`;
  return [header, table.toString(), legend].join("\n");
}

function renderConnections(plan: Plan): string {
  const c = plan.connections;
  const lines = [`PostgreSQL connections (${c.viaPgBouncer ? "through PgBouncer" : "direct"}):`];
  for (const source of c.clients) lines.push(`  ${source.total} ${source.source}`);
  lines.push(`  ${c.headroom} headroom`);
  if (c.pgbouncer) {
    lines.push(`  = ${c.clientTotal} client connections of PgBouncer's max_client_conn ${c.pgbouncer.maxClientConn} (${c.pgbouncer.poolMode} pooling, pool ${c.pgbouncer.defaultPoolSize})`);
  } else {
    lines.push(`  = ${c.clientTotal} client connections`);
  }
  const direct = c.direct.reduce((sum, d) => sum + d.total, 0);
  lines.push(`  PostgreSQL max_connections ${c.maxConnections}: ${c.serverConnections} ${c.viaPgBouncer ? "from PgBouncer's pool" : "from the app"} + ${direct} direct + superuser reserve`);
  return lines.join("\n");
}
