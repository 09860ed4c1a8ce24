import { join } from "node:path";
import { parse } from "yaml";
import { renderCompose } from "../../model/render/compose";
import { pgHbaFor, postgresConfFor } from "../../model/render/service-configs";
import { planFor } from "../helpers";
import { createAppRole, initCluster, startCluster, type PostgresServer } from "./postgres";
import { POSTGRES_BIN, runAsServiceUser } from "./support";

/**
 * A new cluster's first start in the postgres image: its entrypoint runs a
 * temporary server on the socket alone (docker_temp_server_start sets
 * listen_addresses to '') for the init scripts, stops it, then starts the real
 * one. Engines from 25 probe a starting container every second, so the
 * database's health check runs during that window; if it passes there,
 * `docker compose up --wait` hands the deploy a server that is shutting down
 * (the enterprise db server's first deploy failed so on the test bed:
 * "FATAL: the database system is shutting down"). The rendered check runs
 * against PostgreSQL 15 in both phases, with the socket and port a container
 * would have (PGHOST, PGPORT).
 */
const enterprise = planFor("enterprise");
const dbServer = enterprise.servers.find((s) => s.name === "db")!;
const replicaServer = enterprise.servers.find((s) => s.name === "db-replica-1")!;
const primaryDb = dbServer.services.find((s) => s.name === "db")!;

function healthcheckOf(server: typeof dbServer, service: string): string[] {
  const test = (
    parse(renderCompose(enterprise, server)) as { services: Record<string, { healthcheck: { test: string[] } }> }
  ).services[service].healthcheck.test;
  if (test[0] !== "CMD") throw new Error(`the ${service} health check is not a CMD form: ${JSON.stringify(test)}`);
  return test.slice(1);
}

function probe(command: string[], server: PostgresServer): number {
  const [program, ...args] = command;
  return runAsServiceUser(join(POSTGRES_BIN, program), args, {
    ...process.env,
    PGHOST: server.socketDir,
    PGPORT: String(server.port),
  }).status;
}

describe.each([
  ["db", dbServer],
  ["db-replica", replicaServer],
] as const)("the %s health check", (service, server) => {
  const check = healthcheckOf(server, service);
  let cluster: ReturnType<typeof initCluster>;
  // One cluster, started in both phases the way the entrypoint starts it: made when the tests run, not when jest collects them.
  beforeAll(() => {
    cluster = initCluster();
  });

  it("fails while the entrypoint's temporary server listens on the socket only", async () => {
    const temporary = await startCluster(
      cluster,
      postgresConfFor(primaryDb),
      pgHbaFor(enterprise),
      "temporary",
      undefined,
      ["-c", "listen_addresses="],
    );
    try {
      await createAppRole(temporary);
      // The same probe over the socket answers: the window is real.
      expect(probe(["pg_isready", "-U", "orion", "-d", "orion"], temporary)).toBe(0);
      expect(probe(check, temporary)).not.toBe(0);
    } finally {
      await temporary.stop();
    }
  });

  it("passes once the real server listens on its address", async () => {
    const real = await startCluster(cluster, postgresConfFor(primaryDb), pgHbaFor(enterprise), "real");
    try {
      expect(probe(check, real)).toBe(0);
    } finally {
      await real.stop();
    }
  });
});
