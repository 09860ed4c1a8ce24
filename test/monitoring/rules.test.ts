import { stringify } from "yaml";
import { ALL_ALERTS as ALERTS } from "../../model/monitoring/alerts";
import { renderAlertRules } from "../../model/render/monitoring";
import { run, writeTree } from "../render/tools";
import { ALERT_CASES } from "./alert-cases";

const minutes = (duration: string) => Number(/^(\d+)m$/.exec(duration)![1]);

/** A promtool unit test per alert: silent before its `for` has passed, firing after, silent on the series below the threshold. */
function promtoolTests(): string {
  const tests = ALERTS.flatMap((alert) => {
    const c = ALERT_CASES[alert.alert];
    const start = c.startsAt ?? 0;
    const hold = minutes(alert.for);
    // Two minutes after the threshold has held for `for`: rates need a sample or two to start.
    const firing = start + hold + 2;
    const expected = [
      {
        exp_labels: { severity: alert.severity, ...c.labels },
        exp_annotations: { summary: alert.summary, action: alert.action },
      },
    ];
    if (c.alwaysFires) {
      return [
        {
          name: `${alert.alert} fires from the start, with no data at all`,
          interval: "1m",
          input_series: [],
          alert_rule_test: ["0m", "30m", "59m"].map((t) => ({
            eval_time: t,
            alertname: alert.alert,
            exp_alerts: expected,
          })),
        },
      ];
    }
    const aboveChecks = [
      // Just before: the series has not crossed yet, or the alert is still pending.
      ...(start > 0
        ? [{ eval_time: `${start - 1}m`, alertname: alert.alert, exp_alerts: [] }]
        : hold >= 2
          ? [{ eval_time: `${hold - 1}m`, alertname: alert.alert, exp_alerts: [] }]
          : []),
      { eval_time: `${firing}m`, alertname: alert.alert, exp_alerts: expected },
    ];
    return [
      {
        name: `${alert.alert} fires above its threshold once its for has passed`,
        interval: "1m",
        input_series: c.above,
        alert_rule_test: aboveChecks,
      },
      {
        name: `${alert.alert} stays silent below its threshold`,
        interval: "1m",
        input_series: c.below,
        alert_rule_test: [{ eval_time: `${firing}m`, alertname: alert.alert, exp_alerts: [] }],
      },
    ];
  });
  return stringify({ rule_files: ["orion.yml"], evaluation_interval: "1m", tests });
}

describe("the alert rules", () => {
  const dir = writeTree({ "orion.yml": renderAlertRules(), "orion.test.yml": promtoolTests() });

  it("has a synthetic case for every alert", () => {
    expect(Object.keys(ALERT_CASES).sort()).toEqual(ALERTS.map((a) => a.alert).sort());
  });

  it("pass `promtool check rules`", () => {
    const { status, output } = run("promtool", ["check", "rules", `${dir}/orion.yml`]);
    expect({ status, output }).toEqual({
      status: 0,
      output: expect.stringContaining(`SUCCESS: ${ALERTS.length} rules found`),
    });
  });

  it("fire when the guide says to act and stay silent below, under `promtool test rules`", () => {
    const { status, output } = run("promtool", ["test", "rules", `${dir}/orion.test.yml`]);
    expect({ status, output: status === 0 ? "" : output }).toEqual({ status: 0, output: "" });
  });

  it("carry a severity and the guide's action on every alert", () => {
    for (const a of ALERTS) {
      expect(a.alert === "Watchdog" ? ["none"] : ["info", "warning", "critical"]).toContain(a.severity);
      expect(a.action.length).toBeGreaterThan(10);
    }
  });
});
