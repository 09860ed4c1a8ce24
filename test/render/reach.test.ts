import { parse } from "yaml";
import { privateIp } from "../../model/addresses";
import type { Plan, PlannedServer } from "../../model/plan";
import { renderEnvFile, renderServerFiles } from "../../model/render/server-files";
import { STAGE_NAMES } from "../../model/stages";
import { planFor } from "../helpers";

/**
 * What each server exposes on the private network, checked against what the
 * other servers' files actually name: every `10.0.1.x:port` (or `10.0.1.x
 * port`, as redis.conf and sentinel.conf write it) in another server's
 * compose file, env file, Caddyfile or service configs must be published
 * there, and nothing else may be, except a port that is only learned at run
 * time.
 */
const SECRETS = { dbPassword: "db-password", flowerPassword: "f", grafanaPassword: "g" };
/** Sentinel learns the replica's address from the master's INFO, not from a file. */
const LEARNED_AT_RUN_TIME = ["redis-replica:6379"];

interface ComposeService {
  ports?: string[];
  networks?: string[];
  network_mode?: string;
}

function filesOf(plan: Plan, server: PlannedServer): string {
  return [...Object.values(renderServerFiles(plan, server)), renderEnvFile(plan, server, SECRETS)].join("\n");
}

function composeOf(plan: Plan, server: PlannedServer): Record<string, ComposeService> {
  return parse(renderServerFiles(plan, server)["compose.yaml"]).services;
}

const multiServer = STAGE_NAMES.map((stage) => planFor(stage)).filter((p) => p.servers.length > 1);
const variants: [string, Plan][] = [
  ...multiServer.map((p) => [p.stage, p] as [string, Plan]),
  [
    "enterprise with a Hetzner managed certificate",
    planFor("enterprise", { domain: "orion.example.com", loadBalancerTls: "hetzner-managed" }),
  ],
];

describe.each(variants)("the private network in %s", (_, plan) => {
  const named = new Map<string, Set<string>>();
  for (const server of plan.servers) {
    for (const m of filesOf(plan, server).matchAll(/\b(10\.0\.1\.\d+)[: ](\d{2,5})\b/g)) {
      const target = plan.servers.find((s) => privateIp(s) === m[1]);
      if (!target || target.name === server.name) continue;
      if (!named.has(target.name)) named.set(target.name, new Set());
      named.get(target.name)!.add(m[2]);
    }
  }

  it.each(plan.servers.map((s) => [s.name, s] as const))(
    "%s publishes on its private IP exactly the ports other servers name",
    (__, server) => {
      const published = Object.entries(composeOf(plan, server)).flatMap(([name, s]) =>
        (s.ports ?? [])
          .filter((p) => p.startsWith(`${privateIp(server)}:`))
          .map((p) => ({ name, port: p.split(":")[1] })),
      );
      const wanted = [...(named.get(server.name) ?? [])].sort();
      const learned = published.filter((p) => LEARNED_AT_RUN_TIME.includes(`${p.name}:${p.port}`)).map((p) => p.port);
      expect(
        published
          .map((p) => p.port)
          .filter((p) => !learned.includes(p))
          .sort(),
      ).toEqual(wanted.filter((p) => !learned.includes(p)));
    },
  );
});

describe("the internal backend network", () => {
  it("holds the scale app server's Redis and its exporter alone: nothing on another server uses them", () => {
    const plan = planFor("scale");
    const app = composeOf(
      plan,
      plan.servers.find((s) => s.name === "app")!,
    );
    expect([app.redis.networks, app.redis.ports]).toEqual([["backend"], undefined]);
    expect([app["redis-exporter"].networks, app["redis-exporter"].ports]).toEqual([["backend"], undefined]);
  });

  it.each(STAGE_NAMES)(
    "in %s, a service joins edge only to publish a port, reach the internet or reach another server",
    (stage) => {
      const plan = planFor(stage);
      for (const server of plan.servers) {
        for (const [name, s] of Object.entries(composeOf(plan, server))) {
          if (s.network_mode === "host") {
            // Caddy alone: it binds 80/443 and publishes nothing through Docker.
            expect([name, s.ports]).toEqual(["caddy", undefined]);
            continue;
          }
          expect(s.networks?.[0]).toBe("backend");
          // db (archive_command) and pgbackrest push WAL and backups to Object Storage, on the internet.
          if (s.networks!.includes("edge"))
            expect({
              name,
              server: server.name,
              why:
                (s.ports ?? []).length > 0 ||
                [
                  "db",
                  "pgbackrest",
                  "api",
                  "celery-worker",
                  "celery-beat",
                  "flower",
                  "prometheus",
                  "alertmanager",
                  "db-replica",
                  "redis-replica",
                  "redis-sentinel",
                ].includes(name),
            }).toEqual({ name, server: server.name, why: true });
        }
      }
    },
  );
});
