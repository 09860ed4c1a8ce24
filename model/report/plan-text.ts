import Table from "cli-table3";
import stringWidth from "string-width";
import wrapAnsi from "wrap-ansi";
import { SERVER_TYPES } from "../catalog";
import { describeDisk } from "../disk";
import type { Plan, PlannedServer } from "../plan-types";
import { STAGES } from "../stages";
import { formatEur, formatMb } from "../units";
import { ramBar, summaryRows } from "./budget";
import { describeRelease } from "../release";
import { renderBackupText } from "./backup-text";

/** A terminal's width when nothing says otherwise; the plan never needs less than MIN_WIDTH. */
export const DEFAULT_WIDTH = 80;
export const MIN_WIDTH = 60;

/** Widths of the Container, Limit, Replicas and Total columns (with padding); Purpose gets what is left, or is left out. */
const COLUMN_WIDTHS = [21, 10, 10, 11];
/** Borders of a table with n columns take n + 1 characters. */
const tableWidth = (columns: number[]) => columns.reduce((sum, w) => sum + w, 0) + columns.length + 1;

const BAR_LEGEND = " █ containers ▒ host reserve ░ headroom";
const OVERRIDDEN_MARK = " *";

/** Wraps one line to `width`, keeping its leading spaces; the lines it continues on are indented by `indent` more. */
function wrap(text: string, width: number, indent = 2): string {
  const lead = /^ */.exec(text)![0];
  const hang = lead + " ".repeat(indent);
  const [first, ...rest] = wrapAnsi(text.slice(lead.length), width - hang.length, { hard: true, trim: true }).split(
    "\n",
  );
  return [lead + first, ...rest.map((line) => hang + line)].join("\n");
}

/**
 * The plan for a terminal, in the spirit of the guide's budget tables, in
 * `width` columns (at least MIN_WIDTH): long lines wrap, and the Purpose
 * column shows only where it fits unwrapped.
 */
export function renderPlanText(plan: Plan, options: { width?: number } = {}): string {
  const width = Math.max(MIN_WIDTH, Math.floor(options.width ?? DEFAULT_WIDTH));
  const stage = STAGES[plan.stage];
  const out: string[] = [];
  const count = plan.servers.length;
  out.push(
    wrap(
      `Stage ${plan.stage} (${stage.title}: ${stage.trigger}) in ${plan.location}: ${count} server${count === 1 ? "" : "s"}, ${formatEur(plan.cost.totalEur)}/month`,
      width,
    ),
  );
  out.push("");
  for (const server of plan.servers) {
    const release = plan.releases.find((r) => r.server === server.name);
    const line = release ? describeRelease(release, server) : undefined;
    out.push(renderServer(server, width), ...(line ? [wrap(line, width)] : []), "");
  }
  if (plan.volumes.length > 0) {
    out.push("Volumes:");
    for (const v of plan.volumes)
      out.push(
        wrap(
          `  ${v.name}: ${v.sizeGb} GB on ${v.server} at ${v.mountPath} (${formatEur(v.priceEurMonthly)}/month, delete-protected)`,
          width,
        ),
      );
    out.push("");
  }
  if (plan.loadBalancer) {
    const lb = plan.loadBalancer;
    const services = lb.services.map((s) => `${s.protocol} :${s.listenPort} -> :${s.destinationPort}`).join(", ");
    const check = `${lb.healthCheck.protocol} :${lb.healthCheck.port}${lb.healthCheck.path ?? ""}`;
    out.push(
      wrap(
        `Load balancer ${lb.name} (${lb.type}, TLS: ${lb.tls}): ${services} on ${lb.targets.join(", ")} over the private network, health check ${check}`,
        width,
      ),
      "",
    );
  }
  out.push(wrap(`API: ${plan.ingress.howReached}`, width), "");
  out.push(renderConnections(plan, width), "");
  out.push(
    renderBackupText(plan)
      .split("\n")
      .map((line) => wrap(line, width))
      .join("\n"),
    "",
  );
  const c = plan.cost;
  out.push(
    wrap(
      `Monthly cost: servers ${formatEur(c.serversEur)} + volumes ${formatEur(c.volumesEur)} + load balancer ${formatEur(c.loadBalancerEur)} + server backups ${formatEur(c.backupsEur)} + object storage ${formatEur(c.objectStorageEur)} = ${formatEur(c.totalEur)} (excl. VAT)`,
      width,
    ),
  );
  if (plan.findings.length > 0) {
    out.push("");
    for (const f of plan.findings) out.push(wrap(`${f.severity}: ${f.key} ${f.message}`, width));
  }
  return out.join("\n");
}

function renderServer(server: PlannedServer, width: number): string {
  const type = SERVER_TYPES[server.type];
  const header = wrap(
    `${server.name} (${server.role}): ${server.type.toUpperCase()}, ${type.vcpu} vCPU, ${formatMb(server.ramMb)} RAM, ${describeDisk(server.disk)}, ${formatEur(type.priceEurMonthly)}/month`,
    width,
  );
  const purposes = server.services.map((s) => s.purpose);
  const purposeWidth = Math.max(...purposes.map((p) => stringWidth(p)), "Purpose".length) + 2;
  const withPurpose = tableWidth([...COLUMN_WIDTHS, purposeWidth]) <= width;
  const colWidths = withPurpose ? [...COLUMN_WIDTHS, purposeWidth] : COLUMN_WIDTHS;
  const table = new Table({
    head: ["Container", "Limit", "Replicas", "Total", ...(withPurpose ? ["Purpose"] : [])],
    colWidths,
    colAligns: ["left", "right", "right", "right", "left"],
    wordWrap: true,
    style: { head: [], border: [], compact: true },
  });
  for (const s of server.services) {
    table.push([
      s.name + (s.overridden ? OVERRIDDEN_MARK : ""),
      formatMb(s.memoryLimitMb),
      String(s.replicas),
      formatMb(s.totalMb),
      ...(withPurpose ? [s.purpose] : []),
    ]);
  }
  // Sums sit under Total; their labels span the columns before it.
  for (const row of summaryRows(server))
    table.push([
      { colSpan: 3, content: row.label },
      { content: row.text, hAlign: "right" },
      ...(withPurpose ? [""] : []),
    ]);
  const barWidth = Math.max(10, Math.min(40, width - stringWidth(BAR_LEGEND) - 2));
  const lines = [header, table.toString(), `${ramBar(server, barWidth)}${BAR_LEGEND}`];
  if (server.services.some((s) => s.overridden))
    lines.push(
      wrap(
        `${OVERRIDDEN_MARK.trim()} set in config (orion:memoryLimits, orion:replicas or orion:uvicornWorkers), not the stage's figure`,
        width,
      ),
    );
  return lines.join("\n");
}

function renderConnections(plan: Plan, width: number): string {
  const c = plan.connections;
  const lines = [`PostgreSQL connections (${c.viaPgBouncer ? "through PgBouncer" : "direct"}):`];
  for (const source of c.clients) lines.push(`  ${source.total} ${source.source}`);
  lines.push(`  ${c.headroom} headroom`);
  if (c.pgbouncer) {
    lines.push(
      `  = ${c.clientTotal} client connections of PgBouncer's max_client_conn ${c.pgbouncer.maxClientConn} (${c.pgbouncer.poolMode} pooling, pool ${c.pgbouncer.defaultPoolSize})`,
    );
  } else {
    lines.push(`  = ${c.clientTotal} client connections`);
  }
  const direct = c.direct.reduce((sum, d) => sum + d.total, 0);
  lines.push(
    `  PostgreSQL max_connections ${c.maxConnections}: ${c.serverConnections} ${c.viaPgBouncer ? "from PgBouncer's pool" : "from the app"} + ${direct} direct + superuser reserve`,
  );
  return lines.map((line) => wrap(line, width)).join("\n");
}
