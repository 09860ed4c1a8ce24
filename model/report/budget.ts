import type { PlannedServer } from "../plan-types";
import type { ServiceGroup } from "../services";
import { formatMb } from "../units";

export const GROUP_TITLES: Record<ServiceGroup, string> = {
  app: "App subtotal",
  monitoring: "Monitoring subtotal",
  exporters: "Exporters subtotal (not in the guide's table)",
  backups: "Backups subtotal (not in the guide's table)",
};

/** The groups of the guide's own budget table; exporters and backups came later. */
const GUIDE_GROUPS: readonly ServiceGroup[] = ["app", "monitoring"];

/** Per-group sums in the guide's order, skipping groups the server does not run. */
export function groupSubtotals(server: PlannedServer): { group: ServiceGroup; title: string; mb: number }[] {
  return (Object.keys(GROUP_TITLES) as ServiceGroup[])
    .map((group) => ({
      group,
      title: GROUP_TITLES[group],
      mb: server.services.filter((s) => s.group === group).reduce((sum, s) => sum + s.totalMb, 0),
    }))
    .filter((g) => g.mb > 0);
}

/** App plus monitoring: the guide's "Total containers" before exporters were added. */
export function guideTableTotalMb(server: PlannedServer): number {
  return server.services.filter((s) => GUIDE_GROUPS.includes(s.group)).reduce((sum, s) => sum + s.totalMb, 0);
}

/** A bar of the server's RAM: containers, host reserve, then headroom. */
export function ramBar(server: PlannedServer, width = 40): string {
  const cells = (mb: number) => Math.round((Math.max(0, mb) / server.ramMb) * width);
  const containers = Math.min(width, cells(server.containersMb));
  const reserve = Math.min(width - containers, cells(server.hostReserveMb));
  return `[${"█".repeat(containers)}${"▒".repeat(reserve)}${"░".repeat(width - containers - reserve)}]`;
}

/** The rows under a server's containers, as the guide's table ends: subtotals, total, host reserve, headroom. */
export interface SummaryRow {
  label: string;
  text: string;
  /** A subtotal or total, shown in bold where the format has it. */
  total: boolean;
}

export function summaryRows(server: PlannedServer): SummaryRow[] {
  return [
    ...groupSubtotals(server).map((g) => ({ label: g.title, text: formatMb(g.mb), total: true })),
    ...(server.services.some((s) => !GUIDE_GROUPS.includes(s.group))
      ? [{ label: "App + monitoring (the guide's table)", text: formatMb(guideTableTotalMb(server)), total: false }]
      : []),
    { label: "Total containers", text: formatMb(server.containersMb), total: true },
    {
      label: `Host reserve: ${server.hostReserveCovers}${server.caddy ? ` (Caddy's container limit, ${formatMb(server.caddy.memoryLimitMb)}, is part of it)` : ""}`,
      text: `~${formatMb(server.hostReserveMb)}`,
      total: false,
    },
    { label: "Headroom", text: formatMb(server.headroomMb), total: false },
  ];
}
