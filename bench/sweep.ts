import { parseConfig } from "../model/config";
import { plan } from "../model/plan";
import { STAGES, type ServerCount } from "../model/stages";

/**
 * Enterprise from its smallest to its largest plannable size, each count
 * growing from its minimum towards its maximum in equal steps, for the bench
 * to show how evaluation grows with servers. A size the model refuses (too
 * many connections for PgBouncer, say) ends the sweep: that is the largest
 * one an operator can deploy.
 */
export function enterpriseSizes(points = 5, steps = 10): Record<string, number>[] {
  const counts = STAGES.enterprise.servers.flatMap<ServerCount>((s) => (s.count ? [s.count] : []));
  const sizes: Record<string, number>[] = [];
  for (let step = 0; step < steps; step++) {
    const size = Object.fromEntries(
      counts.map((c) => [c.configKey, Math.round(c.min + ((c.max - c.min) * step) / (steps - 1))]),
    );
    try {
      plan(parseConfig({ stage: "enterprise", ...size }));
    } catch {
      break;
    }
    sizes.push(size);
  }
  if (sizes.length <= points) return sizes;
  // Evenly spread over the plannable range, the smallest and the largest included.
  return [
    ...new Set(Array.from({ length: points }, (_, i) => Math.round((i * (sizes.length - 1)) / (points - 1)))),
  ].map((i) => sizes[i]);
}
