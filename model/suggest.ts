import { distance } from "fastest-levenshtein";

/** How names are compared for a suggestion: case, `_` for `-` and a plural `s` are the usual slips. */
const folded = (name: string) => name.toLowerCase().replace(/_/g, "-");

/**
 * The candidate an operator most likely meant by a name that is not one of
 * them (`stagee`, `memoryLimit`, `celery_worker`, `CAX21`), or undefined when
 * none is close: two letters or a third of the name differ at most, and no
 * other candidate is as close.
 */
export function closestName(given: string, candidates: readonly string[]): string | undefined {
  const target = folded(given);
  const costs = candidates
    .map((name) => ({ name, cost: distance(target, folded(name)) }))
    .sort((a, b) => a.cost - b.cost);
  const [best, next] = costs;
  // Two letters swapped (fns1) cost 2; a tie (cax51: cax11 or cax41?) suggests nothing rather than a guess.
  if (!best || (next && next.cost === best.cost)) return undefined;
  return best.cost <= Math.max(2, Math.floor(target.length / 3)) ? best.name : undefined;
}

/** `did you mean growth? Use one of ...`, or only the list when nothing is close. */
export function suggestion(
  given: string,
  candidates: readonly string[],
  spell: (name: string) => string = (n) => n,
): string {
  const list = `use one of ${candidates.join(", ")}`;
  const close = closestName(given, candidates);
  return close === undefined ? list : `did you mean ${spell(close)}? (${list})`;
}
