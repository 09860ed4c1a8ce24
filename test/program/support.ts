import { parse } from "yaml";
import type { MockRun, RecordedResource } from "../../preview/mock-run";
import { unwrap } from "../../preview/wire";

export const SERVER = "hcloud:index/server:Server";
export const DEPLOY = "command:remote:Command";

export const ofType = (run: MockRun, type: string) => run.resources.filter((r) => r.type === type);

export function deployOf(run: MockRun, server: string): RecordedResource {
  const found = run.resources.find((r) => r.type === DEPLOY && r.name === `${server}-deploy`);
  if (!found) throw new Error(`no deploy for ${server}`);
  return found;
}

/** The files a deploy command writes, read back from its heredocs. */
export function deployedFiles(deploy: RecordedResource): Record<string, string> {
  const script = String(unwrap(deploy.inputs.create));
  const files: Record<string, string> = {};
  for (const match of script.matchAll(/^cat > '([^']+)' <<'ORION_FILE_EOF'\n([\s\S]*?)^ORION_FILE_EOF$/gm)) files[match[1]] = match[2];
  return files;
}

export interface ComposeFile {
  services: Record<string, { image: string; mem_limit: string; deploy?: { replicas: number }; ports?: string[]; environment?: Record<string, string>; networks: string[] }>;
  networks: Record<string, { internal?: boolean }>;
}

export function deployedCompose(run: MockRun, server: string): ComposeFile {
  return parse(deployedFiles(deployOf(run, server))["compose.yaml"]);
}
