import { Client } from "pg";
import { join } from "node:path";
import { freePort, POSTGRES_BIN, requireBinary, runAsServiceUser, serviceDir, startProcess, waitFor, writeServiceFile, type RunningServer } from "./support";

export const TEST_DB_PASSWORD = "test-db-password-4e1f";

/** PostgreSQL 15 started with a generated postgresql.conf; only port, socket, data and hba paths are moved. */
export async function startPostgres(postgresqlConf: string, pgHba: string): Promise<RunningServer & { socketDir: string; superuser: () => Client }> {
  requireBinary(join(POSTGRES_BIN, "postgres"));
  const dir = serviceDir("orion-pg-");
  const data = join(dir, "data");
  const init = runAsServiceUser(join(POSTGRES_BIN, "initdb"), ["-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8"]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.output}`);
  const conf = writeServiceFile(dir, "postgresql.conf", postgresqlConf);
  // The generated pg_hba lets in the compose backend and the app servers; the test connects from loopback.
  const hba = writeServiceFile(dir, "pg_hba.conf", `${pgHba}host    all          all       127.0.0.1/32     scram-sha-256\n`);
  const port = await freePort();
  const server = startProcess(
    join(POSTGRES_BIN, "postgres"),
    ["-D", data, "-c", `config_file=${conf}`, "-c", `hba_file=${hba}`, "-c", `port=${port}`, "-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${dir}`],
    { serviceUser: true, port, dir },
  );
  const superuser = () => new Client({ host: dir, port, user: "postgres", database: "postgres" });
  await waitFor(
    "PostgreSQL",
    async () => {
      const c = superuser();
      await c.connect();
      await c.end();
      return true;
    },
    30_000,
    server,
  );
  const c = superuser();
  await c.connect();
  await c.query(`CREATE ROLE orion LOGIN PASSWORD '${TEST_DB_PASSWORD}'`);
  await c.query("CREATE DATABASE orion OWNER orion");
  await c.end();
  return { ...server, socketDir: dir, superuser };
}
