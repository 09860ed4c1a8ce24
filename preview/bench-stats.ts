import type { RecordedResource } from "./mock-run";

/** Minimum, median and maximum of a series of measurements. */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: number[]): Spread {
  if (values.length === 0) throw new Error("no measurements");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1] };
}

/** Per pair, `a / b`: measured side by side, so that a slow moment of the machine lands in both. */
export function pairedRatios(a: number[], b: number[]): number[] {
  if (a.length !== b.length) throw new Error(`unpaired: ${a.length} and ${b.length} measurements`);
  return a.map((x, i) => x / b[i]);
}

/**
 * Dependency edges between custom resources, each counted once: what the
 * engine must order. A dependency on a component stands for the custom
 * resources under it, as in criticalPath.
 */
export function dependencyEdges(resources: RecordedResource[]): number {
  const custom = new Map(resources.filter((r) => r.custom).map((r) => [r.urn, r]));
  const children = new Map<string, string[]>();
  for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
  const expand = (urn: string): string[] => (custom.has(urn) ? [urn] : (children.get(urn) ?? []).flatMap(expand));
  let edges = 0;
  for (const r of custom.values()) {
    const deps = new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()].flatMap(expand));
    deps.delete(r.urn);
    edges += deps.size;
  }
  return edges;
}
