import { stringify } from "yaml";
import { ALERTS, alertExpr, PRODUCTION_ALERTS, type AlertRule } from "../monitoring/alerts";
import { METRICS, type MetricId } from "../monitoring/metrics";
import { THRESHOLDS } from "../monitoring/thresholds";
import { SERVICES } from "../services";
import { toYaml } from "./yaml";

const rule = (a: AlertRule) => ({
  alert: a.alert,
  expr: alertExpr(a),
  ...(a.for === "0m" ? {} : { for: a.for }),
  labels: { severity: a.severity },
  annotations: { summary: a.summary, action: a.action },
});

/** Prometheus rule file with every alert: severity label, and annotations that name the guide's action. */
export function renderAlertRules(): string {
  return toYaml({
    groups: [
      { name: "orion-guide", rules: ALERTS.map(rule) },
      { name: "orion-production", rules: PRODUCTION_ALERTS.map(rule) },
    ],
  });
}

/**
 * Where alerts go. The SMTP password is a file written from the env file at
 * deploy; the webhook URL (which often carries a token) is filled into the
 * config at deploy from the env file, since `url_file` needs Alertmanager 0.26
 * and the amtool that checks this config is 0.25.
 */
export interface AlertReceivers {
  email?: { to: string; from: string; smarthost: string; username?: string };
  webhook: boolean;
  /** The secret orion:watchdogUrl is set: the Watchdog alert goes to that dead man's switch. */
  watchdog?: boolean;
}

export const SMTP_PASSWORD_FILE = { file: "secrets/smtp_password", env: "SMTP_PASSWORD" } as const;
export const WEBHOOK_URL_ENV = "ALERT_WEBHOOK_URL";
export const WATCHDOG_URL_ENV = "WATCHDOG_URL";

/** How often the dead man's switch hears from the Watchdog; a heartbeat service alarms after a few missed ones. */
const WATCHDOG_REPEAT = "5m";

export function renderAlertmanagerConfig(receivers: AlertReceivers): string {
  const inContainer = (file: string) => `/etc/alertmanager/${file}`;
  const configs: Record<string, unknown> = {};
  if (receivers.email) {
    configs.email_configs = [
      {
        to: receivers.email.to,
        from: receivers.email.from,
        smarthost: receivers.email.smarthost,
        ...(receivers.email.username
          ? { auth_username: receivers.email.username, auth_password_file: inContainer(SMTP_PASSWORD_FILE.file) }
          : {}),
        send_resolved: true,
      },
    ];
  }
  if (receivers.webhook) configs.webhook_configs = [{ url: `\${${WEBHOOK_URL_ENV}}`, send_resolved: true }];
  return stringify({
    route: {
      receiver: "operator",
      group_by: ["alertname", "server"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      routes: [
        // Never to a person: to the dead man's switch, if there is one, and nowhere else.
        {
          matchers: ['alertname="Watchdog"'],
          receiver: "watchdog",
          group_wait: "0s",
          group_interval: "1m",
          repeat_interval: WATCHDOG_REPEAT,
        },
        // Scale signals and "investigate" hints are for the daytime: repeat them once a day.
        { matchers: ['severity="info"'], receiver: "operator", repeat_interval: "24h" },
      ],
    },
    // A critical alert on a server silences the warning of the same name there.
    inhibit_rules: [
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["server"] },
    ],
    receivers: [
      { name: "operator", ...configs },
      {
        name: "watchdog",
        ...(receivers.watchdog ? { webhook_configs: [{ url: `\${${WATCHDOG_URL_ENV}}`, send_resolved: false }] } : {}),
      },
    ],
  });
}

export function grafanaDashboardProvider(): string {
  return stringify({
    apiVersion: 1,
    providers: [
      {
        name: "orion",
        folder: "Orion",
        type: "file",
        disableDeletion: true,
        options: { path: "/etc/grafana/provisioning/dashboards/json" },
      },
    ],
  });
}

const PANEL_UNITS: Record<string, string> = {
  percent: "percent",
  seconds: "s",
  count: "short",
  bytes: "bytes",
  megabytes: "decmbytes",
  ratio: "percentunit",
};

/** Thresholds drawn on each panel: the same figures the alerts fire at. */
const PANEL_THRESHOLDS: Partial<Record<MetricId, number[]>> = {
  hostRamPercent: [THRESHOLDS.hostRamScalePercent, THRESHOLDS.hostRamAlertPercent],
  hostCpuPercent: [THRESHOLDS.hostCpuScalePercent, THRESHOLDS.hostCpuAlertPercent],
  diskPercent: [THRESHOLDS.diskWarningPercent, THRESHOLDS.diskCriticalPercent],
  apiP95Seconds: [THRESHOLDS.apiP95InvestigateSeconds, THRESHOLDS.apiP95AlertSeconds],
  postgresActiveConnections: [THRESHOLDS.postgresActiveConnections],
  redisMemoryBytes: [THRESHOLDS.redisMemoryBytes],
  celeryQueueLength: [THRESHOLDS.celeryQueueLength],
  containerMemoryOfLimit: [THRESHOLDS.containerMemoryOfLimit],
};

/** The guide's panels, one per metric, with the queries of METRICS. */
export function grafanaDashboard(): string {
  const panels = (Object.keys(METRICS) as MetricId[]).map((id, i) => {
    const metric = METRICS[id];
    const steps = [
      { color: "green", value: null as number | null },
      ...(PANEL_THRESHOLDS[id] ?? []).map((value, j, all) => ({
        color: j === all.length - 1 ? "red" : "orange",
        value,
      })),
    ];
    return {
      id: i + 1,
      type: "timeseries",
      title: metric.title,
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      datasource: { type: "prometheus", uid: "prometheus" },
      targets: [
        { refId: "A", expr: metric.expr, legendFormat: id.startsWith("container") ? "{{name}}" : "{{server}}" },
      ],
      fieldConfig: {
        defaults: {
          unit: PANEL_UNITS[metric.unit],
          thresholds: { mode: "absolute", steps },
          custom: { thresholdsStyle: { mode: "line" } },
        },
        overrides: [],
      },
    };
  });
  return `${JSON.stringify({ uid: "orion-guide", title: "Orion: Key Metrics (scaling guide)", tags: ["orion"], timezone: "browser", schemaVersion: 39, refresh: "1m", time: { from: "now-6h", to: "now" }, panels }, null, 2)}\n`;
}

export function grafanaDatasource(): string {
  return stringify({
    apiVersion: 1,
    datasources: [
      {
        name: "Prometheus",
        uid: "prometheus",
        type: "prometheus",
        access: "proxy",
        url: `http://prometheus:${SERVICES.prometheus.port}`,
        isDefault: true,
        editable: false,
      },
    ],
  });
}
