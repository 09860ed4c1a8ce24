import type { RecordedResource } from "../offline/mock-run";

/**
 * The longest chain of dependencies between custom resources: how many
 * provider operations must run one after another, whatever the parallelism.
 * Components and the stack are left out; they cost no provider call.
 */
export function criticalPath(resources: RecordedResource[]): string[] {
  const custom = new Map(resources.filter((r) => r.custom).map((r) => [r.urn, r]));
  // A dependency on a component stands for the custom resources under it.
  const children = new Map<string, string[]>();
  for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
  const expand = (urn: string): string[] => (custom.has(urn) ? [urn] : (children.get(urn) ?? []).flatMap(expand));
  const memo = new Map<string, string[]>();
  const longest = (urn: string): string[] => {
    const known = memo.get(urn);
    if (known) return known;
    const r = custom.get(urn)!;
    const deps = [
      ...new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()].flatMap(expand)),
    ].filter((d) => d !== urn);
    const best = deps.map(longest).reduce<string[]>((a, b) => (b.length > a.length ? b : a), []);
    const path = [...best, urn];
    memo.set(urn, path);
    return path;
  };
  return [...custom.keys()]
    .map(longest)
    .reduce<string[]>((a, b) => (b.length > a.length ? b : a), [])
    .map((urn) => custom.get(urn)!.name);
}
