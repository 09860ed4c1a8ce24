import { parseConfig } from "../model/config";
import { plan, type Plan, type PlannedServer } from "../model/plan";
import type { StageName } from "../model/stages";

/** A plan for a stage with optional raw config, as `npm run plan -- --stage s --set k=v` would make it. */
export function planFor(stage: StageName, raw: Record<string, unknown> = {}): Plan {
  return plan(parseConfig({ stage, ...raw }));
}

export function server(p: Plan, name: string): PlannedServer {
  const found = p.servers.find((s) => s.name === name);
  if (!found) throw new Error(`no server ${name} in ${p.stage}: ${p.servers.map((s) => s.name).join(", ")}`);
  return found;
}

export function limits(s: PlannedServer): Record<string, number> {
  return Object.fromEntries(s.services.map((x) => [x.name, x.memoryLimitMb]));
}

/** The message of what `fn` throws, so tests can match on it. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected an error, got none");
}
