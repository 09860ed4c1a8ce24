import { parse } from "yaml";
import { renderDeployScript } from "../../model/render/deploy-script";
import { renderServerFiles } from "../../model/render/server-files";
import { dropStartIntervalOnOldEngines } from "../../model/render/start-interval";
import { STAGE_NAMES } from "../../model/stages";
import { planFor } from "../helpers";
import { runAsEngine, writeTree } from "./tools";
import { readFileSync } from "node:fs";
import { join } from "node:path";

type Healthcheck = { interval: string; start_period: string; start_interval?: string };
type Compose = { services: Record<string, { healthcheck?: Healthcheck }> };

const cases = STAGE_NAMES.flatMap((stage) => planFor(stage).servers.map((server) => [stage, server.name] as const));
const composeOf = (stage: (typeof STAGE_NAMES)[number], serverName: string) => {
  const plan = planFor(stage);
  return renderServerFiles(
    plan,
    plan.servers.find((s) => s.name === serverName)!,
  )["compose.yaml"];
};

describe.each(cases)("healthchecks of %s/%s", (stage, serverName) => {
  const text = composeOf(stage, serverName);
  const compose: Compose = parse(text);

  it("probe every second while a service starts (Celery's ping every 5 s), within the start period", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (!service.healthcheck) continue;
      expect([name, service.healthcheck.start_interval, service.healthcheck.start_period]).toEqual([
        name,
        name === "celery-worker" ? "5s" : "1s",
        "30s",
      ]);
    }
  });

  it("reach an engine before 25 (API 1.41, Debian 12's 20.10) without start_interval and otherwise unchanged", () => {
    const dir = writeTree({ "compose.yaml": text });
    expect(runAsEngine("1.41", dropStartIntervalOnOldEngines("compose.yaml"), dir)).toEqual({ status: 0, output: "" });
    const onOldEngine: Compose = parse(readFileSync(join(dir, "compose.yaml"), "utf8"));
    const expected: Compose = parse(text);
    for (const service of Object.values(expected.services)) delete service.healthcheck?.start_interval;
    expect(onOldEngine).toEqual(expected);
  });

  it.each(["1.44", "1.45", "1.51"])("reach an engine with API %s as rendered", (api) => {
    const dir = writeTree({ "compose.yaml": text });
    expect(runAsEngine(api, dropStartIntervalOnOldEngines("compose.yaml"), dir)).toEqual({ status: 0, output: "" });
    expect(readFileSync(join(dir, "compose.yaml"), "utf8")).toBe(text);
  });
});

describe("the deploy script", () => {
  it("adapts the staged compose file to the engine before Compose first reads it, so the check and the start see the same file", () => {
    const plan = planFor("launch");
    const lines = renderDeployScript(renderServerFiles(plan, plan.servers[0]), {
      mountsPgdata: true,
      sshPublicKeys: ["ssh-ed25519 AAAA test"],
    })
      .trimEnd()
      .split("\n");
    const adapt = lines.indexOf(dropStartIntervalOnOldEngines("compose.yaml"));
    const composeRuns = lines.flatMap((line, i) => (line.startsWith("docker compose ") ? [i] : []));
    expect(adapt).toBeGreaterThan(lines.indexOf("cd .staging"));
    expect(composeRuns.length).toBeGreaterThan(1);
    expect(composeRuns.every((i) => i > adapt)).toBe(true);
  });
});
