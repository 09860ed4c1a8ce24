import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Plan } from "../model/plan";
import { renderCloudInit } from "../model/render/cloud-init";
import type { AlertReceivers } from "../model/render/monitoring";
import { renderServerFiles } from "../model/render/server-files";

/** Writes what `pulumi up` would deploy, without secrets: <dir>/<server>/compose.yaml, its configs, and the user-data. */
export function writeRenderedFiles(plan: Plan, dir: string, receivers: AlertReceivers): string[] {
  const files: Record<string, string> = { "cloud-init.yaml": renderCloudInit() };
  for (const server of plan.servers) {
    for (const [path, content] of Object.entries(renderServerFiles(plan, server, {}, receivers))) files[join(server.name, path)] = content;
  }
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return Object.keys(files).sort();
}
