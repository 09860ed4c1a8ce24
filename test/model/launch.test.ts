import { groupSubtotals, guideTableTotalMb } from "../../model/report/budget";
import { planFor, server } from "../helpers";

describe("launch reproduces the guide's container memory budget", () => {
  const app = server(planFor("launch"), "app");
  const guideRows = app.services.filter((s) => s.group === "app" || s.group === "monitoring");

  it("runs on one CAX11 with 4 GB", () => {
    expect(planFor("launch").servers.map((s) => [s.name, s.type])).toEqual([["app", "cax11"]]);
    expect(app.ramMb).toBe(4096);
  });

  it("has the guide's 11 rows in the guide's order", () => {
    expect(guideRows.map((s) => [s.name, s.memoryLimitMb])).toEqual([
      ["db", 512],
      ["redis", 128],
      ["api", 512],
      ["celery-worker", 512],
      ["celery-beat", 256],
      ["flower", 256],
      ["prometheus", 256],
      ["grafana", 192],
      ["node-exporter", 64],
      ["cadvisor", 128],
      ["alertmanager", 32],
    ]);
  });

  it("adds up to an app subtotal of 2,176 MB, monitoring of 672 MB and 2,848 MB in all", () => {
    const subtotals = Object.fromEntries(groupSubtotals(app).map((g) => [g.group, g.mb]));
    expect(subtotals.app).toBe(2176);
    expect(subtotals.monitoring).toBe(672);
    expect(guideTableTotalMb(app)).toBe(2848);
  });

  it("keeps the guide's ~1,150 MB for OS, Caddy, Gitea and the CI runner", () => {
    expect(app.hostReserveMb).toBe(1150);
    expect(app.hostReserveCovers).toBe("OS + Caddy + Gitea + CI runner");
  });

  it("fits the 2,848 MB budget on a CAX11 with the exporters the guide's metrics need and the backups", () => {
    const exporters = app.services.filter((s) => s.group === "exporters").map((s) => s.name);
    expect(exporters).toEqual(["postgres-exporter", "redis-exporter"]);
    expect(app.services.filter((s) => s.group === "backups").map((s) => [s.name, s.memoryLimitMb])).toEqual([
      ["pgbackrest", 32],
    ]);
    expect(app.containersMb).toBe(2848 + 56 + 32);
    expect(app.containersMb + app.hostReserveMb).toBeLessThanOrEqual(app.ramMb);
    expect(app.headroomMb).toBe(10);
  });

  it("costs the guide's 4.50 EUR for its server", () => {
    expect(planFor("launch").cost.serversEur).toBe(4.5);
  });
});
