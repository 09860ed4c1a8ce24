import { Client } from "pg";
import { join } from "node:path";
import {
  freePort,
  POSTGRES_BIN,
  requireBinary,
  runAsServiceUser,
  serviceDir,
  startProcess,
  waitFor,
  writeServiceFile,
  type RunningServer,
} from "./support";

export const TEST_DB_PASSWORD = "test-db-password-4e1f";

export type PostgresServer = RunningServer & {
  socketDir: string;
  data: string;
  superuser: () => Client;
  client: () => Client;
};

/** A new, empty cluster in its own directory, with the role and database the app uses (as the postgres image creates them). */
export function initCluster(): { dir: string; data: string } {
  requireBinary(join(POSTGRES_BIN, "initdb"));
  const dir = serviceDir("orion-pg-");
  const data = join(dir, "data");
  const init = runAsServiceUser(join(POSTGRES_BIN, "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
    "-E",
    "UTF8",
  ]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.output}`);
  return { dir, data };
}

/**
 * PostgreSQL 15 on an existing data directory with a generated
 * postgresql.conf and pg_hba.conf; only port, socket and file paths move.
 */
export async function startCluster(
  cluster: { dir: string; data: string },
  postgresqlConf: string,
  pgHba: string,
  name = "main",
  env?: NodeJS.ProcessEnv,
  extraArgs: string[] = [],
): Promise<PostgresServer> {
  const { dir, data } = cluster;
  const conf = writeServiceFile(dir, `${name}.conf`, postgresqlConf);
  // The generated pg_hba lets in the compose backend and the app servers; the test connects from loopback.
  const hba = writeServiceFile(
    dir,
    `${name}_hba.conf`,
    `${pgHba}host    all          all       127.0.0.1/32     scram-sha-256\nhost    replication  all       127.0.0.1/32     scram-sha-256\n`,
  );
  const port = await freePort();
  const server = startProcess(
    join(POSTGRES_BIN, "postgres"),
    [
      "-D",
      data,
      "-c",
      `config_file=${conf}`,
      "-c",
      `hba_file=${hba}`,
      "-c",
      `port=${port}`,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      `unix_socket_directories=${dir}`,
      ...extraArgs,
    ],
    { serviceUser: true, port, dir, env },
  );
  const superuser = () => new Client({ host: dir, port, user: "postgres", database: "postgres" });
  const client = () =>
    new Client({ host: "127.0.0.1", port, user: "orion", password: TEST_DB_PASSWORD, database: "orion" });
  await waitFor(
    `PostgreSQL (${name})`,
    async () => {
      const c = superuser();
      await c.connect();
      await c.end();
      return true;
    },
    60_000,
    server,
  );
  return { ...server, socketDir: dir, data, superuser, client };
}

export async function createAppRole(server: PostgresServer): Promise<void> {
  const c = server.superuser();
  await c.connect();
  // The postgres image makes POSTGRES_USER a superuser, which can also stream to replicas.
  await c.query(`CREATE ROLE orion LOGIN SUPERUSER REPLICATION PASSWORD '${TEST_DB_PASSWORD}'`);
  await c.query("CREATE DATABASE orion OWNER orion");
  await c.end();
}

export async function startPostgres(postgresqlConf: string, pgHba: string): Promise<PostgresServer> {
  const server = await startCluster(initCluster(), postgresqlConf, pgHba);
  await createAppRole(server);
  return server;
}
