// Pure comparison of canonical records: decides whether a write changes anything and what the
// previous values were. Never touches the database.
import { isDeepStrictEqual } from "node:util";

/** Keys whose values are objects compared one level deeper for previous_attributes. */
const NESTED = new Set(["raw_attributes", "custom_attributes"]);

/**
 * previous_attributes for an update: the old value of each changed key (shallow), and for
 * raw_attributes / custom_attributes the old value of each changed inner key, null where the
 * key did not exist before. Returns null when nothing changed.
 */
export function previousAttributes<T extends object>(
  prev: T,
  next: T,
  keys: readonly (keyof T & string)[],
): Record<string, unknown> | null {
  const previous: Record<string, unknown> = {};
  for (const key of keys) {
    const before = prev[key] as unknown;
    const after = next[key] as unknown;
    if (isDeepStrictEqual(before, after)) continue;
    previous[key] = NESTED.has(key) && isPlainObject(before) && isPlainObject(after) ? innerPrevious(before, after) : (before ?? null);
  }
  return Object.keys(previous).length > 0 ? previous : null;
}

function innerPrevious(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!isDeepStrictEqual(before[key], after[key])) changed[key] = key in before ? before[key] : null;
  }
  return changed;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Drops undefined values and copies, so records compare the way they will read back from jsonb. */
export function asJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
