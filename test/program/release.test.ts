import type { MockRun } from "../../offline/mock-run";
import { runOrion } from "../../offline/orion";
import { unwrap } from "../../offline/wire";
import { deployedFiles, deployOf } from "./support";

/**
 * How the program orders a release across servers: the deploys wait for
 * each other through Pulumi's dependencies, which `pulumi up` follows.
 */
let scale: MockRun;
let enterprise: MockRun;
beforeAll(async () => {
  scale = await runOrion({ stage: "scale", appMigrateCommand: "alembic upgrade head" }, { preview: false });
  enterprise = await runOrion({ stage: "enterprise", apiServers: 3 }, { preview: false });
});

/** The deploy commands a server's deploy waits for, directly. */
function waitsFor(run: MockRun, server: string): string[] {
  const deploy = deployOf(run, server);
  const names = new Map(run.resources.map((r) => [r.urn, r.name]));
  return deploy.dependencies
    .map((urn) => names.get(urn)!)
    .filter((n) => n.endsWith("-deploy"))
    .sort();
}

describe("a release across servers in one pulumi up", () => {
  it("scale: the app server's deploy (migration, new API) waits for the database server's (role password)", () => {
    expect(waitsFor(scale, "app")).toEqual(["db-deploy"]);
    expect(waitsFor(scale, "db")).toEqual([]);
  });

  it("enterprise: API servers one at a time after the app server; workers after the migration; replicas after the primary", () => {
    expect(waitsFor(enterprise, "app")).toEqual(["db-deploy"]);
    expect(waitsFor(enterprise, "api-2")).toEqual(["app-deploy", "db-deploy"]);
    expect(waitsFor(enterprise, "api-3")).toEqual(["api-2-deploy", "db-deploy"]);
    expect(waitsFor(enterprise, "worker-1")).toEqual(["app-deploy", "db-deploy"]);
    expect(waitsFor(enterprise, "db-replica-1")).toEqual(["db-deploy"]);
    expect(waitsFor(enterprise, "redis")).toEqual([]);
  });

  it("only the app server's release script migrates", () => {
    const app = deployedFiles(deployOf(scale, "app"))["release.sh"];
    const db = deployedFiles(deployOf(scale, "db"))["release.sh"];
    expect(app).toContain("MIGRATE_COMMAND='alembic upgrade head'");
    expect(db).toContain("MIGRATE_COMMAND=''");
  });

  it("the deploy gets the new app image before it switches any file, and runs the release before compose converges", () => {
    const script = String(unwrap(deployOf(scale, "app").inputs.create));
    const order = [
      "docker image inspect 'orion/orion:1.0.0@sha256:",
      "# Switch: every checked file moves into place",
      "\nbash release.sh\n",
      "--profile full up -d --wait --remove-orphans",
      "\nbash release.sh finish\n",
    ].map((line) => script.indexOf(line));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("the stack output says what runs where and in which order releases go", async () => {
    // The offline run resolves the outputs as Pulumi publishes them: the digest is a value by now.
    const release = enterprise.outputs.release as {
      image: string;
      ref: string;
      order: string[];
      servers: Record<string, string>;
    };
    const ref = release.ref;
    expect(release.image).toBe("orion/orion:1.0.0");
    expect(ref).toMatch(/^orion\/orion:1\.0\.0@sha256:[0-9a-f]{64}$/);
    expect(release.order.indexOf("db")).toBeLessThan(release.order.indexOf("app"));
    expect(release.order.indexOf("app")).toBeLessThan(release.order.indexOf("api-2"));
    expect(release.order.indexOf("api-2")).toBeLessThan(release.order.indexOf("api-3"));
    expect(release.servers["api-2"]).toBe(
      "release: the API restarts with the new image while the other API servers serve, one server at a time; peak 1,728 MB of 8,192 MB",
    );
  });
});
