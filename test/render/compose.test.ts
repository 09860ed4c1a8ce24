import { join } from "node:path";
import { parse } from "yaml";
import { renderServerFiles, TEMPLATE_SUFFIX } from "../../model/render/server-files";
import { STAGE_NAMES } from "../../model/stages";
import { planFor } from "../helpers";
import { ROOT } from "../cli/run";
import { dropStartIntervalOnOldEngines } from "../../model/render/start-interval";
import { run, runAsEngine, writeTree, COMPOSE_ENV } from "./tools";

const cases = STAGE_NAMES.flatMap((stage) => planFor(stage).servers.map((server) => [stage, server.name] as const));
const DCLINT = join(ROOT, "node_modules", ".bin", "dclint");

interface DclintReport {
  filePath: string;
  messages: { rule: string; message: string; line: number }[];
}

// dclint takes a second to start, so it lints every compose file in one run.
let dclint: DclintReport[] = [];
const trees: Record<string, string> = {};
beforeAll(() => {
  for (const [stage, serverName] of cases) {
    const planned = planFor(stage);
    trees[`${stage}/${serverName}`] = writeTree({
      ...renderServerFiles(
        planned,
        planned.servers.find((s) => s.name === serverName)!,
      ),
      ".env": `${COMPOSE_ENV}\n`,
    });
  }
  const { output } = run(DCLINT, [
    "-f",
    "json",
    "-c",
    join(ROOT, ".dclintrc"),
    ...Object.values(trees).map((d) => join(d, "compose.yaml")),
  ]);
  dclint = JSON.parse(output);
});

describe.each(cases)("the compose file of %s/%s", (stage, serverName) => {
  const planned = planFor(stage);
  const server = planned.servers.find((s) => s.name === serverName)!;
  const files = renderServerFiles(planned, server);

  it("passes dclint with no error or warning (Compose Specification schema and best practices)", () => {
    const report = dclint.find((r) => r.filePath.startsWith(trees[`${stage}/${serverName}`]));
    expect(report).toBeDefined();
    expect(report!.messages.map((m) => `${m.line}: ${m.rule} ${m.message}`)).toEqual([]);
  });

  it("is accepted by docker-compose config with the plan's memory limits, as a host with an engine before 25 gets it", () => {
    // Compose 1.29 predates healthcheck start_interval, as Engine 20.10 does: check the file the deploy leaves on such a host.
    const dir = writeTree({ ...renderServerFiles(planned, server), ".env": `${COMPOSE_ENV}\n` });
    expect(runAsEngine("1.41", dropStartIntervalOnOldEngines("compose.yaml"), dir)).toEqual({ status: 0, output: "" });
    const { status, output } = run("docker-compose", ["-f", "compose.yaml", "--profile", "full", "config"], {
      cwd: dir,
    });
    expect({ status, error: status === 0 ? "" : output }).toEqual({ status: 0, error: "" });
    const resolved = parse(output);
    expect(Object.keys(resolved.services).sort()).toEqual(
      [...server.services.map((s) => s.name), ...(server.caddy ? ["caddy"] : [])].sort(),
    );
  });

  it("gets from Docker Compose v2 exactly the plan's memory limit and replicas for every service", () => {
    // v2 reads the units itself and answers in bytes: 512m is 536,870,912.
    const { status, output } = run(
      "docker",
      ["compose", "-p", "orion", "-f", "compose.yaml", "--profile", "full", "config", "--format", "json"],
      { cwd: trees[`${stage}/${serverName}`] },
    );
    expect({ status, error: status === 0 ? "" : output }).toEqual({ status: 0, error: "" });
    const resolved = JSON.parse(output).services as Record<
      string,
      { mem_limit: string | number; deploy?: { replicas: number } }
    >;
    const seen = Object.entries(resolved).map(([name, s]) => [
      name,
      Number(s.mem_limit) / 1024 / 1024,
      s.deploy?.replicas ?? 1,
    ]);
    const planned = [
      ...server.services.map((s) => [s.name, s.memoryLimitMb, s.replicas]),
      ...(server.caddy ? [["caddy", server.caddy.memoryLimitMb, 1]] : []),
    ];
    expect(seen.sort()).toEqual(planned.sort());
  });

  it("keeps the backend network internal and mounts every config file it names", () => {
    const compose = parse(files["compose.yaml"]);
    expect(compose.networks.backend.internal).toBe(true);
    const mounted = Object.values<{ volumes?: string[] }>(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .filter((v) => v.startsWith("./"))
      .map((v) => v.split(":")[0].slice(2));
    // A `.tmpl` file becomes the mounted file on the server, filled in from the env file by the deploy.
    for (const path of mounted)
      expect(
        Object.keys(files).some((f) => f === path || f === `${path}${TEMPLATE_SUFFIX}` || f.startsWith(`${path}/`)),
      ).toBe(true);
  });
});

describe("the compose checks themselves", () => {
  it("dclint rejects a compose file that breaks the schema", () => {
    const dir = writeTree({
      "compose.yaml": "services:\n  db:\n    image: postgres:15\n    mem_limit: [lots]\n    restart: sometimes-maybe\n",
    });
    const { status, output } = run(DCLINT, ["-f", "json", "-c", join(ROOT, ".dclintrc"), join(dir, "compose.yaml")]);
    expect(status).not.toBe(0);
    expect(JSON.parse(output)[0].errorCount).toBeGreaterThan(0);
  });
});
