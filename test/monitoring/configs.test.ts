import { parse } from "yaml";
import { METRICS } from "../../model/monitoring/metrics";
import { grafanaDashboard, renderAlertmanagerConfig, type AlertReceivers } from "../../model/render/monitoring";
import { renderServerFiles } from "../../model/render/server-files";
import { STAGE_NAMES } from "../../model/stages";
import { planFor } from "../helpers";
import { run, writeTree } from "../render/tools";

describe.each(STAGE_NAMES)("the %s stage's Prometheus", (stage) => {
  const plan = planFor(stage);
  const host = plan.servers.find((s) => s.services.some((x) => x.name === "prometheus"))!;
  const files = renderServerFiles(plan, host);
  const dir = writeTree({
    "prometheus.yml": files["config/prometheus/prometheus.yml"],
    "rules/orion.yml": files["config/prometheus/rules/orion.yml"],
  });

  it("passes `promtool check config` with its rules", () => {
    const { status, output } = run("promtool", ["check", "config", `${dir}/prometheus.yml`]);
    expect({ status, output: status === 0 ? "" : output }).toEqual({ status: 0, output: "" });
  });

  it("scrapes node-exporter and cAdvisor on every server with server, role and stage labels", () => {
    const config = parse(files["config/prometheus/prometheus.yml"]);
    for (const job of ["node-exporter", "cadvisor"]) {
      const targets = config.scrape_configs.find((j: { job_name: string }) => j.job_name === job).static_configs;
      expect(targets.map((t: { labels: Record<string, string> }) => t.labels)).toEqual(
        plan.servers.map((s) => ({ server: s.name, role: s.role, stage })),
      );
      // Other servers are reached over the private network.
      for (const t of targets) if (t.labels.server !== host.name) expect(t.targets[0]).toMatch(/^10\.0\.1\.\d+:\d+$/);
    }
    const jobs = config.scrape_configs.map((j: { job_name: string }) => j.job_name);
    expect(jobs).toEqual(expect.arrayContaining(["api", "postgres-exporter", "redis-exporter"]));
  });

  it("keeps 15 days of metrics, as the guide's table says", () => {
    const compose = parse(files["compose.yaml"]);
    expect(compose.services.prometheus.command).toContain("--storage.tsdb.retention.time=15d");
  });
});

describe("Alertmanager", () => {
  const receivers: [string, AlertReceivers][] = [
    ["no receiver", { webhook: false }],
    [
      "e-mail",
      {
        email: {
          to: "ops@example.com",
          from: "alerts@example.com",
          smarthost: "smtp.example.com:587",
          username: "alerts",
        },
        webhook: false,
      },
    ],
    ["a webhook", { webhook: true }],
    [
      "e-mail and a webhook",
      {
        email: { to: "ops@example.com", from: "alerts@example.com", smarthost: "smtp.example.com:587" },
        webhook: true,
      },
    ],
    ["a webhook and a dead man's switch", { webhook: true, watchdog: true }],
  ];
  // As envsubst fills them in on the server from the env file.
  const filled = (r: AlertReceivers) =>
    renderAlertmanagerConfig(r)
      .replace("${ALERT_WEBHOOK_URL}", "https://hooks.example.com/T0/B0/secret")
      .replace("${WATCHDOG_URL}", "https://hc-ping.example.com/0f1e2d");
  it.each(receivers)("passes `amtool check-config` with %s", (_, r) => {
    // The webhook URL is filled in from the env file on the server, as envsubst does there.
    const dir = writeTree({ "alertmanager.yml": filled(r) });
    const { status, output } = run("amtool", ["check-config", `${dir}/alertmanager.yml`]);
    expect({ status, output: status === 0 ? "" : output }).toEqual({ status: 0, output: "" });
  });
  it.each([
    ["Watchdog", "none", "watchdog"],
    ["ApiDown", "critical", "operator"],
    ["TargetDown", "warning", "operator"],
    ["HostCpuScaleSignal", "info", "operator"],
  ])("routes %s (%s) to the %s receiver, as `amtool config routes test` reads it", (alertname, severity, receiver) => {
    const dir = writeTree({ "alertmanager.yml": filled(receivers[4][1]) });
    const { status, output } = run("amtool", [
      "config",
      "routes",
      "test",
      `--config.file=${dir}/alertmanager.yml`,
      `alertname=${alertname}`,
      `severity=${severity}`,
    ]);
    expect({ status, receiver: output.split("\n")[0].trim() }).toEqual({ status: 0, receiver });
  });
  it("sends the Watchdog to the dead man's switch only, and to no one without one", () => {
    expect(parse(filled(receivers[4][1])).receivers).toContainEqual({
      name: "watchdog",
      webhook_configs: [{ url: "https://hc-ping.example.com/0f1e2d", send_resolved: false }],
    });
    expect(parse(filled(receivers[1][1])).receivers).toContainEqual({ name: "watchdog" });
  });
  it("keeps the SMTP password in a file and the webhook URL in the env file, never in the config", () => {
    const text = renderAlertmanagerConfig(receivers[1][1]) + renderAlertmanagerConfig(receivers[3][1]);
    expect(text).toContain("auth_password_file: /etc/alertmanager/secrets/smtp_password");
    expect(text).toContain("url: ${ALERT_WEBHOOK_URL}");
    expect(text).not.toMatch(/auth_password:/);
  });
});

describe("the Grafana dashboard", () => {
  const dashboard = JSON.parse(grafanaDashboard());
  it("loads as JSON with a panel for every metric of the guide", () => {
    expect(dashboard.panels.map((p: { title: string }) => p.title)).toEqual(Object.values(METRICS).map((m) => m.title));
  });
  it("uses only the expressions defined once in model/monitoring/metrics.ts", () => {
    const known = new Set(Object.values(METRICS).map((m) => m.expr));
    for (const p of dashboard.panels) for (const t of p.targets) expect(known.has(t.expr)).toBe(true);
  });
});
