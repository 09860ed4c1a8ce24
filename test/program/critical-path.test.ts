import { dependencyEdges, pairedRatios, spread } from "../../preview/bench-stats";
import { criticalPath } from "../../preview/graph";
import type { RecordedResource } from "../../preview/mock-run";
import { sharedRun } from "./support";

/** A registered resource with only what the graph reads. */
function resource(name: string, options: { custom?: boolean; parent?: string; dependsOn?: string[]; inputsFrom?: Record<string, string[]> } = {}): RecordedResource {
  return {
    urn: `urn:${name}`,
    type: options.custom === false ? "orion:index:Component" : "hcloud:index/server:Server",
    name,
    custom: options.custom ?? true,
    parent: options.parent ? `urn:${options.parent}` : "",
    dependencies: (options.dependsOn ?? []).map((d) => `urn:${d}`),
    propertyDependencies: Object.fromEntries(Object.entries(options.inputsFrom ?? {}).map(([k, v]) => [k, v.map((d) => `urn:${d}`)])),
    protect: false,
    ignoreChanges: [],
    deleteBeforeReplace: false,
    provider: "",
    inputs: {},
  };
}

describe("the critical path: the longest chain of provider operations that must run one after another", () => {
  it("follows dependsOn and input dependencies alike", () => {
    const graph = [resource("network"), resource("server", { inputsFrom: { networkId: ["network"] } }), resource("deploy", { dependsOn: ["server"] }), resource("key")];
    expect(criticalPath(graph)).toEqual(["network", "server", "deploy"]);
  });

  it("takes the longer of two branches", () => {
    const graph = [resource("a"), resource("b", { dependsOn: ["a"] }), resource("c", { dependsOn: ["b"] }), resource("x"), resource("d", { dependsOn: ["c", "x"] })];
    expect(criticalPath(graph)).toEqual(["a", "b", "c", "d"]);
  });

  it("reads a dependency on a component as one on every custom resource under it, and leaves components out", () => {
    const graph = [resource("platform", { custom: false }), resource("server", { parent: "platform" }), resource("attach", { parent: "platform", dependsOn: ["server"] }), resource("deploy", { dependsOn: ["platform"] })];
    expect(criticalPath(graph)).toEqual(["server", "attach", "deploy"]);
  });

  it("in scale, runs through cloud-init on app and the release of the pgdata volume there before the db server's deploy, and the app server's deploy after it (a release changes the role password first)", async () => {
    expect(criticalPath((await sharedRun({ stage: "scale" })).resources)).toEqual(["ssh", "app", "app-cloud-init", "app-release-pgdata", "pgdata", "db-deploy", "app-deploy"]);
  });
});

describe("the bench's figures", () => {
  it("count each dependency edge between custom resources once, through components", () => {
    const graph = [resource("platform", { custom: false }), resource("a", { parent: "platform" }), resource("b", { parent: "platform" }), resource("c", { dependsOn: ["platform", "a"], inputsFrom: { x: ["a"] } })];
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
