/**
 * Memory sizes as operators write them in compose files: `512m`, `1g`, `1.5g`
 * or a plain number of MB. Everything inside the model is whole MiB (see catalog.ts).
 */
const MEMORY_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(m|mb|g|gb)?\s*$/i;

export const MEMORY_FORMAT_HELP = "a number of MB (512) or a compose size such as 512m or 1g";

/** Returns the size in MB, or undefined when the text is not a memory size. */
export function parseMemoryMb(value: string | number): number | undefined {
  if (typeof value === "number") {
    return Number.isInteger(value) && value > 0 ? value : undefined;
  }
  const match = MEMORY_PATTERN.exec(value);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = (match[2] ?? "m").toLowerCase();
  const mb = unit.startsWith("g") ? amount * 1024 : amount;
  return Number.isInteger(mb) && mb > 0 ? mb : undefined;
}

/** The compose spelling of a size: whole gigabytes as `1g`, the rest as `512m`. */
export function formatComposeMemory(mb: number): string {
  return mb % 1024 === 0 ? `${mb / 1024}g` : `${mb}m`;
}

/** `2,848 MB`, the way the guide writes sizes. */
export function formatMb(mb: number): string {
  return `${mb.toLocaleString("en-US")} MB`;
}

export function formatEur(eur: number): string {
  return `${eur.toFixed(2)} EUR`;
}
