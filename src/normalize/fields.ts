// Field reading every vendor normalizer shares; each passes its own way of reading a path.

/** Reads one source path of a vendor record. */
export type ReadPath = (path: string) => unknown;

/** The first of `paths` holding a non-blank string, or null. */
export function firstText(read: ReadPath, paths: readonly string[]): string | null {
  for (const path of paths) {
    const value = read(path);
    if (typeof value === "string" && value.trim() !== "") return value;
  }
  return null;
}

/** custom_attributes from a key -> path table, keeping only values that are present (not null or ""). */
export function presentValues(read: ReadPath, table: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, path] of Object.entries(table)) {
    const value = read(path);
    if (value !== undefined && value !== null && value !== "") out[key] = value;
  }
  return out;
}
