import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Plan, PlannedServer } from "../../model/plan";
import { renderDeployScript } from "../../model/render/deploy-script";
import { deployScriptOptions } from "../../model/render/server-deployment";
import { renderEnvFile, renderServerFiles } from "../../model/render/server-files";
import { writeTree } from "../render/tools";

/**
 * A server's /opt/orion as the deploy leaves it: the rendered files and the
 * env file, then the deploy script's own steps that fill templates in from
 * the env file (envsubst), run by bash in that folder. Returns the folder.
 */
export function deployedFolder(plan: Plan, server: PlannedServer, dbPassword: string): string {
  const files = renderServerFiles(plan, server);
  const env = renderEnvFile(plan, server, {
    dbPassword,
    flowerPassword: "flower-test",
    grafanaPassword: "grafana-test",
  });
  const dir = writeTree({ ...files, ".env": env });
  const script = renderDeployScript(
    files,
    deployScriptOptions(plan, server, { appImage: "orion/orion:1.0.0", sshPublicKeys: [] }),
  );
  const fills = script.split("\n").filter((line) => line.includes("envsubst"));
  if (fills.length === 0) throw new Error(`the deploy script of ${server.name} fills in no template`);
  const result = spawnSync("bash", ["-euo", "pipefail", "-c", fills.join("\n")], { cwd: dir, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`the deploy's envsubst steps failed: ${result.stderr}`);
  return dir;
}

/** PgBouncer's userlist.txt exactly as the deploy writes it on the server. */
export function shippedUserlist(plan: Plan, server: PlannedServer, dbPassword: string): string {
  return readFileSync(join(deployedFolder(plan, server, dbPassword), "config", "pgbouncer", "userlist.txt"), "utf8");
}
