import { SERVER_TYPES } from "../../model/catalog";
import { parseConfig } from "../../model/config";
import { plan } from "../../model/plan";
import { STAGE_NAMES, type StageName } from "../../model/stages";
import { lockedDigests } from "../../model/images";
import { formatComposeMemory } from "../../model/units";
import type { MockRun } from "../../offline/mock-run";
import { OFFLINE_DEFAULTS, OFFLINE_LOCK, OFFLINE_SECRETS, runOrion, standInDigest } from "../../offline/orion";
import { isSecretValue, plainStrings, UNKNOWN } from "../../offline/wire";
import { deployedCompose, deployedFiles, deployOf, DEPLOY, ofType, SERVER, sharedRun } from "./support";

const runs = {} as Record<StageName, MockRun>;
beforeAll(async () => {
  for (const stage of STAGE_NAMES) runs[stage] = await sharedRun({ stage }, { preview: false });
});

describe.each(STAGE_NAMES)("the %s stage under mocks", (stage) => {
  const planned = plan(parseConfig({ stage, ...OFFLINE_DEFAULTS }));

  it("creates the plan's servers with its ARM types in its location", () => {
    const servers = ofType(runs[stage], SERVER);
    expect(servers.map((s) => [s.name, s.inputs.serverType, s.inputs.location]).sort()).toEqual(
      planned.servers.map((s) => [s.name, s.type, "fsn1"]).sort(),
    );
    for (const s of servers) expect(s.inputs.keepDisk).toBe(true);
  });

  it("deploys on each server a compose file with exactly the plan's services and limits, and Caddy inside the host reserve where the plan has it", () => {
    for (const server of planned.servers) {
      const compose = deployedCompose(runs[stage], server.name);
      const deployed = Object.entries(compose.services).map(([name, s]) => [
        name,
        s.mem_limit,
        s.deploy?.replicas ?? 1,
      ]);
      const caddy = server.caddy ? [["caddy", formatComposeMemory(server.caddy.memoryLimitMb), 1]] : [];
      const expected = [
        ...server.services.map((s) => [s.name, formatComposeMemory(s.memoryLimitMb), s.replicas]),
        ...caddy,
      ];
      expect(deployed.sort()).toEqual(expected.sort());
    }
  });

  it("deploys every platform image at the digest images.lock.json has, the app image at the digest its registry names, and builds the database image from a base pinned by digest", () => {
    const locked = lockedDigests(OFFLINE_LOCK);
    for (const server of planned.servers) {
      const files = deployedFiles(deployOf(runs[stage], server.name));
      for (const [name, s] of Object.entries(deployedCompose(runs[stage], server.name).services)) {
        const [ref] = s.image.split("@");
        if (["db", "db-replica", "pgbackrest"].includes(name)) {
          // Built on the server: the tag is the Dockerfile's hash, and the Dockerfile names its base by the locked digest.
          expect(s.image).toMatch(/^orion-postgres:15\.\d+-pgbackrest[\d.]+-[0-9a-f]{12}$/);
          const base = /^FROM (postgres:15\.\d+-bookworm)@(sha256:[0-9a-f]{64})$/m.exec(
            files["build/postgres/Dockerfile"],
          );
          expect(base?.[2]).toBe(locked[base![1]]);
        } else if (ref === parseConfig({ stage, ...OFFLINE_DEFAULTS }).appImage) {
          expect(s.image).toBe(`${ref}@${standInDigest(ref)}`);
        } else {
          expect(locked[ref]).toMatch(/^sha256:[0-9a-f]{64}$/);
          expect(s.image).toBe(`${ref}@${locked[ref]}`);
        }
      }
    }
    // pulumi up asks a registry for the app image alone: the platform's digests come from the lock.
    expect(runs[stage].calls.filter((c) => !c.startsWith("hcloud:"))).toEqual([
      "docker:index/getRegistryImage:getRegistryImage",
    ]);
  });

  it("keeps secrets out of every plain property, and sends the env file as a secret", () => {
    // orion:appSecrets is a map: each of its values is a secret of its own.
    const secrets = Object.entries(OFFLINE_SECRETS).flatMap(([key, value]) =>
      key.endsWith(":appSecrets") ? Object.values(JSON.parse(value) as Record<string, string>) : [value],
    );
    for (const r of runs[stage].resources) {
      for (const { path, text } of plainStrings(r.inputs)) {
        for (const secret of secrets)
          expect({ resource: r.name, path, leaks: text.includes(secret) }).toEqual({
            resource: r.name,
            path,
            leaks: false,
          });
      }
    }
    for (const d of ofType(runs[stage], DEPLOY).filter((r) => r.name.endsWith("-deploy")))
      expect(isSecretValue(d.inputs.stdin)).toBe(true);
  });

  it("publishes PostgreSQL, Redis and every other port only on loopback or the private network", () => {
    for (const server of planned.servers) {
      for (const [name, s] of Object.entries(deployedCompose(runs[stage], server.name).services)) {
        for (const port of s.ports ?? [])
          expect({ name, port }).toEqual({
            name,
            port: expect.stringMatching(/^(127\.0\.0\.1|10\.0\.1\.\d+):\d+:\d+$/),
          });
      }
    }
  });

  it("opens SSH only to orion:adminCidrs and 80/443 only on servers that serve HTTP", () => {
    const firewalls = Object.fromEntries(ofType(runs[stage], "hcloud:index/firewall:Firewall").map((f) => [f.name, f]));
    expect(firewalls.ssh.inputs.rules).toEqual([
      expect.objectContaining({ port: "22", sourceIps: OFFLINE_DEFAULTS.adminCidrs }),
    ]);
    const webPorts = (firewalls.web.inputs.rules as { port?: string }[]).map((r) => r.port).filter(Boolean);
    expect(webPorts).toEqual(["80", "443"]);
    const webId = firewalls.web.inputs && runs[stage].resources.find((r) => r.name === "web")!.urn;
    for (const server of ofType(runs[stage], SERVER)) {
      const usesWeb = server.propertyDependencies.firewallIds.includes(webId);
      expect({ server: server.name, usesWeb }).toEqual({
        server: server.name,
        usesWeb: planned.servers.find((s) => s.name === server.name)!.servesHttp,
      });
    }
  });

  it("protects servers that hold data and the pgdata volume, in Pulumi and at Hetzner", () => {
    for (const server of ofType(runs[stage], SERVER)) {
      const holdsData = planned.servers.find((s) => s.name === server.name)!.holdsData;
      expect([server.name, server.protect, server.inputs.deleteProtection, server.inputs.rebuildProtection]).toEqual([
        server.name,
        holdsData,
        holdsData,
        holdsData,
      ]);
      expect(server.ignoreChanges.sort()).toEqual(["image", "location", "placementGroupId", "sshKeys", "userData"]);
    }
    for (const volume of ofType(runs[stage], "hcloud:index/volume:Volume"))
      expect([volume.name, volume.protect, volume.inputs.deleteProtection]).toEqual([volume.name, true, true]);
  });

  it("costs what the guide's prices add up to", () => {
    const servers = ofType(runs[stage], SERVER);
    const price = servers.reduce(
      (sum, s) => sum + SERVER_TYPES[s.inputs.serverType as keyof typeof SERVER_TYPES].priceEurMonthly,
      0,
    );
    expect(planned.cost.serversEur).toBeCloseTo(price, 2);
  });
});

describe("URNs of stateful resources", () => {
  it.each([
    ["app server", SERVER, "app"],
    ["db server", SERVER, "db"],
    ["pgdata volume", "hcloud:index/volume:Volume", "pgdata"],
  ])("the %s keeps one URN in every stage that has it", (_, type, name) => {
    const urns = new Set(
      STAGE_NAMES.flatMap((stage) =>
        runs[stage].resources.filter((r) => r.type === type && r.name === name).map((r) => r.urn),
      ),
    );
    expect(urns.size).toBe(1);
  });
});

describe("user-data", () => {
  it("is the same in every stage, so no stage change replaces a server", () => {
    const userData = new Set(STAGE_NAMES.flatMap((stage) => ofType(runs[stage], SERVER).map((s) => s.inputs.userData)));
    expect(userData.size).toBe(1);
  });
});

describe("enterprise", () => {
  it("passes TCP 80 and 443 through the load balancer to the Caddy on the app server, over the private network, with no certificate at Hetzner", () => {
    const run = runs.enterprise;
    const services = ofType(run, "hcloud:index/loadBalancerService:LoadBalancerService");
    expect(
      services.map((s) => [s.name, s.inputs.protocol, s.inputs.listenPort, s.inputs.destinationPort]).sort(),
    ).toEqual([
      ["api-tcp-443", "tcp", 443, 443],
      ["api-tcp-80", "tcp", 80, 80],
    ]);
    for (const s of services) expect(s.inputs.healthCheck).toMatchObject({ protocol: "tcp", port: 80 });
    const targets = ofType(run, "hcloud:index/loadBalancerTarget:LoadBalancerTarget");
    expect(targets.map((t) => [t.name, t.inputs.usePrivateIp])).toEqual([["api-app", true]]);
    expect(ofType(run, "hcloud:index/managedCertificate:ManagedCertificate")).toEqual([]);
  });

  it("with orion:loadBalancerTls hetzner-managed, terminates TLS at the load balancer with a managed certificate and sends HTTP to a Caddy on every API server", async () => {
    const run = await runOrion(
      { stage: "enterprise", domain: "api.orion-shop.de", loadBalancerTls: "hetzner-managed" },
      { preview: false },
    );
    const services = ofType(run, "hcloud:index/loadBalancerService:LoadBalancerService");
    expect(services.map((s) => s.inputs)).toEqual([
      expect.objectContaining({
        protocol: "https",
        listenPort: 443,
        destinationPort: 80,
        http: expect.objectContaining({ redirectHttp: true }),
        healthCheck: expect.objectContaining({
          protocol: "http",
          port: 80,
          http: expect.objectContaining({ path: "/health" }),
        }),
      }),
    ]);
    expect(ofType(run, "hcloud:index/managedCertificate:ManagedCertificate").map((c) => c.inputs.domainNames)).toEqual([
      ["api.orion-shop.de"],
    ]);
    expect(
      ofType(run, "hcloud:index/loadBalancerTarget:LoadBalancerTarget")
        .map((t) => t.name)
        .sort(),
    ).toEqual(["api-api-2", "api-app"]);
    for (const server of ["app", "api-2"])
      expect(Object.keys(deployedCompose(run, server).services)).toContain("caddy");
  });

  it("spreads its servers over hosts: workers in a group of their own, everything else in one", () => {
    const groups = ofType(runs.enterprise, "hcloud:index/placementGroup:PlacementGroup");
    expect(groups.map((g) => [g.name, g.inputs.type]).sort()).toEqual([
      ["spread", "spread"],
      ["spread-workers", "spread"],
    ]);
    const groupOf = (server: string) =>
      groups.find((g) =>
        ofType(runs.enterprise, SERVER)
          .find((s) => s.name === server)!
          .propertyDependencies.placementGroupId.includes(g.urn),
      )!.name;
    expect(["app", "api-2", "db", "db-replica-1", "redis", "redis-replica"].map(groupOf)).toEqual(
      Array(6).fill("spread"),
    );
    expect(["worker-1", "worker-2"].map(groupOf)).toEqual(["spread-workers", "spread-workers"]);
  });
});

describe("a preview before any server exists", () => {
  it("knows every budget figure while server IPs are still unknown", async () => {
    const run = await sharedRun({ stage: "scale" });
    const deploy = deployOf(run, "db");
    expect(JSON.stringify(deploy.inputs.connection)).toContain(UNKNOWN);
    expect(JSON.stringify(deploy.inputs.triggers)).not.toContain(UNKNOWN);
    expect(deploy.inputs.triggers).toEqual([
      expect.objectContaining({ kind: "orion:ServerBudget", server: "db", serverType: "cax21" }),
    ]);
  });
});

describe("stack outputs", () => {
  it("say how the API is reached: without a domain through an SSH tunnel, with one at its URL and the address its A record must hold", async () => {
    const launchApi = runs.launch.outputs.api as { url?: string; dnsARecord: unknown; howReached: string };
    expect(launchApi.url).toBeUndefined();
    expect(launchApi.howReached).toMatch(/^through an SSH tunnel only \(ssh -N -L 8000:127\.0\.0\.1:8000/);
    expect(launchApi.dnsARecord).toBe(
      (runs.launch.outputs.servers as Record<string, { ipv4Address: unknown }>).app.ipv4Address,
    );
    const withDomain = await runOrion({ stage: "enterprise", domain: "api.orion-shop.de" }, { preview: false });
    const enterpriseApi = withDomain.outputs.api as typeof launchApi;
    expect(enterpriseApi).toMatchObject({
      url: "https://api.orion-shop.de/",
      howReached: expect.stringContaining("Let's Encrypt"),
    });
    expect(enterpriseApi.dnsARecord).toBe(withDomain.outputs.loadBalancerIpv4);
  });

  it("export the database URLs without the password, with a read-only one in enterprise", () => {
    expect(runs.scale.outputs.database).toEqual({
      pooled: "postgresql://orion@10.0.1.20:6432/orion",
      direct: "postgresql://orion@10.0.1.20:5432/orion",
    });
    expect(runs.enterprise.outputs.database).toMatchObject({ readonly: "postgresql://orion@10.0.1.21:5432/orion" });
  });
});
