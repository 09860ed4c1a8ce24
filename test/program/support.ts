import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import type { ExistingState, MockRun, RecordedResource } from "../../offline/mock-run";
import { runOrion } from "../../offline/orion";
import { unwrap } from "../../offline/wire";

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
  for (const match of script.matchAll(/^cat > '([^']+)' <<'ORION_FILE_EOF'\n([\s\S]*?)^ORION_FILE_EOF$/gm))
    files[match[1]] = match[2];
  return files;
}

export interface ComposeFile {
  services: Record<
    string,
    {
      image: string;
      mem_limit: string;
      deploy?: { replicas: number };
      ports?: string[];
      environment?: Record<string, string>;
      networks: string[];
    }
  >;
  networks: Record<string, { internal?: boolean }>;
}

export function deployedCompose(run: MockRun, server: string): ComposeFile {
  return parse(deployedFiles(deployOf(run, server))["compose.yaml"]);
}

const memo = new Map<string, Promise<MockRun>>();

/**
 * An offline run of the program, made once per config and mode for the whole
 * `jest` run and shared by every test file (through the directory that
 * test/global-setup.js makes; in memory alone without it). The runs are
 * deterministic, so a shared run is the run each file would make. Stack
 * outputs keep their plain values only. Tests that must see two runs of
 * their own (determinism) call runOrion.
 */
export function sharedRun(
  raw: Record<string, unknown>,
  options: { preview?: boolean; existing?: ExistingState } = {},
): Promise<MockRun> {
  // The existing stack (outputs, keys) is part of what the run sees, so it is part of the key.
  const key = createHash("sha256")
    .update(JSON.stringify([raw, options.preview ?? true, options.existing ?? null]))
    .digest("hex")
    .slice(0, 24);
  const known = memo.get(key);
  if (known) return known;
  const dir = process.env.ORION_TEST_SHARED_RUNS;
  const file = dir ? join(dir, `${key}.json`) : undefined;
  const run = (async () => {
    if (file) {
      try {
        return JSON.parse(readFileSync(file, "utf8")) as MockRun;
      } catch {
        // not made yet
      }
    }
    const made = await runOrion(raw, options);
    const plain: MockRun = JSON.parse(
      JSON.stringify(made, (_, value: unknown) => (pulumi.Output.isInstance(value) ? undefined : value)),
    );
    if (file) {
      // Whole or not at all: another worker may be reading it.
      writeFileSync(`${file}.${process.pid}`, JSON.stringify(plain));
      renameSync(`${file}.${process.pid}`, file);
    }
    return plain;
  })();
  memo.set(key, run);
  return run;
}
