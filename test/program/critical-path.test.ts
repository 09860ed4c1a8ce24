import { dependencyEdges, pairedRatios, spread } from "../../bench/stats";
import { criticalPath } from "../../bench/graph";
import type { MockRun, RecordedResource } from "../../offline/mock-run";
import { sharedRun } from "./support";

const SERVER_NETWORK = "hcloud:index/serverNetwork:ServerNetwork";
const VOLUME_ATTACHMENT = "hcloud:index/volumeAttachment:VolumeAttachment";

/** What a registered resource waits for (dependsOn and inputs from other resources), as type and name. */
function waitsFor(run: MockRun, resource: RecordedResource): { type: string; name: string }[] {
  const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
  const urns = new Set([...resource.dependencies, ...Object.values(resource.propertyDependencies).flat()]);
  return [...urns].map((urn) => byUrn.get(urn)!).map((r) => ({ type: r.type, name: r.name }));
}

function registered(run: MockRun, type: string, name: string): RecordedResource {
  const found = run.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name} in the run`);
  return found;
}

/** The servers on the private network a server's deploy waits for. */
function deployWaitsForNetworkOf(run: MockRun, server: string): string[] {
  return waitsFor(run, registered(run, "command:remote:Command", `${server}-deploy`))
    .filter((r) => r.type === SERVER_NETWORK)
    .map((r) => r.name.replace(/-private$/, ""))
    .sort();
}

/** A registered resource with only what the graph reads. */
function resource(
  name: string,
  options: { custom?: boolean; parent?: string; dependsOn?: string[]; inputsFrom?: Record<string, string[]> } = {},
): RecordedResource {
  return {
    urn: `urn:${name}`,
    type: options.custom === false ? "orion:index:Component" : "hcloud:index/server:Server",
    name,
    custom: options.custom ?? true,
    parent: options.parent ? `urn:${options.parent}` : "",
    dependencies: (options.dependsOn ?? []).map((d) => `urn:${d}`),
    propertyDependencies: Object.fromEntries(
      Object.entries(options.inputsFrom ?? {}).map(([k, v]) => [k, v.map((d) => `urn:${d}`)]),
    ),
    protect: false,
    ignoreChanges: [],
    deleteBeforeReplace: false,
    provider: "",
    inputs: {},
  };
}

describe("the critical path: the longest chain of provider operations that must run one after another", () => {
  it("follows dependsOn and input dependencies alike", () => {
    const graph = [
      resource("network"),
      resource("server", { inputsFrom: { networkId: ["network"] } }),
      resource("deploy", { dependsOn: ["server"] }),
      resource("key"),
    ];
    expect(criticalPath(graph)).toEqual(["network", "server", "deploy"]);
  });

  it("takes the longer of two branches", () => {
    const graph = [
      resource("a"),
      resource("b", { dependsOn: ["a"] }),
      resource("c", { dependsOn: ["b"] }),
      resource("x"),
      resource("d", { dependsOn: ["c", "x"] }),
    ];
    expect(criticalPath(graph)).toEqual(["a", "b", "c", "d"]);
  });

  it("reads a dependency on a component as one on every custom resource under it, and leaves components out", () => {
    const graph = [
      resource("platform", { custom: false }),
      resource("server", { parent: "platform" }),
      resource("attach", { parent: "platform", dependsOn: ["server"] }),
      resource("deploy", { dependsOn: ["platform"] }),
    ];
    expect(criticalPath(graph)).toEqual(["server", "attach", "deploy"]);
  });

  it("in the move from growth to scale, runs through the app server's rescale, its cloud-init and the release of the pgdata volume there before the db server's deploy, and the app server's deploy after it (a release changes the role password first)", async () => {
    const growth = await sharedRun({ stage: "growth" }, { preview: false });
    expect(
      criticalPath((await sharedRun({ stage: "scale" }, { existing: { outputs: growth.outputs } })).resources),
    ).toEqual([
      "app-stop-for-rescale",
      "app",
      "app-cloud-init",
      "app-release-pgdata",
      "pgdata",
      "db-deploy",
      "app-deploy",
    ]);
  });

  it("in a new scale stack, leaves the app server's release out: there is no database on app to stop", async () => {
    expect(criticalPath((await sharedRun({ stage: "scale" })).resources)).not.toContain("app-release-pgdata");
  });
});

describe("who waits for whom, read off the resources the program registers", () => {
  it("enterprise: a worker server's deploy waits for its own server and the servers its containers connect to on the private network, not for the API server or the other worker", async () => {
    const run = await sharedRun({ stage: "enterprise" });
    expect(deployWaitsForNetworkOf(run, "worker-1")).toEqual([
      "app",
      "db",
      "db-replica-1",
      "redis",
      "redis-replica",
      "worker-1",
    ]);
    // The primary database waits for no other server: its replica and its clients follow it.
    expect(deployWaitsForNetworkOf(run, "db")).toEqual(["db"]);
    expect(deployWaitsForNetworkOf(run, "redis")).toEqual(["app", "redis", "redis-replica"]);
  });

  it("from growth to scale, the db server's volume attachment waits for the app server's release of pgdata and for nothing else on app", async () => {
    const growth = await sharedRun({ stage: "growth" }, { preview: false });
    const run = await sharedRun({ stage: "scale" }, { existing: { outputs: growth.outputs } });
    expect(
      waitsFor(run, registered(run, VOLUME_ATTACHMENT, "pgdata")).sort(
        (a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type),
      ),
    ).toEqual([
      { type: "command:remote:Command", name: "app-release-pgdata" },
      { type: "hcloud:index/server:Server", name: "db" },
      { type: "hcloud:index/volume:Volume", name: "pgdata" },
    ]);
  });

  it.each(["scale", "enterprise"])(
    "a new %s stack: the db server's volume attachment waits only for the volume and the server it joins",
    async (stage) => {
      const run = await sharedRun({ stage });
      expect(
        waitsFor(run, registered(run, VOLUME_ATTACHMENT, "pgdata"))
          .map((r) => r.name)
          .sort(),
      ).toEqual(["db", "pgdata"]);
    },
  );

  it("growth: the volume stays on app and its attachment waits for nothing but the volume and the server", async () => {
    const run = await sharedRun({ stage: "growth" });
    expect(
      waitsFor(run, registered(run, VOLUME_ATTACHMENT, "pgdata"))
        .map((r) => r.name)
        .sort(),
    ).toEqual(["app", "pgdata"]);
  });
});

describe("the bench's figures", () => {
  it("count each dependency edge between custom resources once, through components", () => {
    const graph = [
      resource("platform", { custom: false }),
      resource("a", { parent: "platform" }),
      resource("b", { parent: "platform" }),
      resource("c", { dependsOn: ["platform", "a"], inputsFrom: { x: ["a"] } }),
    ];
    expect(dependencyEdges(graph)).toBe(2);
  });

  it("give min, median and max, the median of an even count halfway between the middle two", () => {
    expect(spread([5, 1, 3])).toEqual({ min: 1, median: 3, max: 5 });
    expect(spread([4, 1, 3, 2])).toEqual({ min: 1, median: 2.5, max: 4 });
    expect(() => spread([])).toThrow("no measurements");
  });

  it("pair ratios run by run, and refuse unpaired series", () => {
    expect(pairedRatios([2, 9], [1, 3])).toEqual([2, 3]);
    expect(() => pairedRatios([1], [1, 2])).toThrow("unpaired");
  });
});
