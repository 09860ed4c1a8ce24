import { UnknownValueError } from "@pulumi/policy/proxy";

/** A value that is not known yet (a new server's IP during preview). */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

/** The engine's sentinel for an unknown string, as it arrives when a test calls a policy without the pack's proxy. */
const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function read(container: Record<string | number, unknown>, key: string | number): unknown {
  try {
    return container[key];
  } catch (error) {
    if (error instanceof UnknownValueError) return UNKNOWN;
    throw error;
  }
}

/**
 * A plain copy of resource properties with every unknown value replaced by
 * UNKNOWN. The pack hands properties behind a proxy that throws on an unknown
 * value, which would abort a whole stack policy; checks read this copy and
 * decide themselves what an unknown means.
 */
export function snapshot(value: unknown): unknown {
  if (value === UNKNOWN_SENTINEL) return UNKNOWN;
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value))
    return Array.from({ length: value.length }, (_, i) =>
      snapshot(read(value as unknown as Record<number, unknown>, i)),
    );
  const container = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(container).map((k) => [k, snapshot(read(container, k))]));
}

export type Props = Record<string, unknown>;

export const isKnownString = (value: unknown): value is string => typeof value === "string";
