// Evaluates a parsed filter against one in-memory value (a resource or an element of a multi-valued
// attribute), with RFC 7644 §3.4.2.2's comparison rules. Used by PATCH value paths such as
// emails[type eq "work"]; list filters run in SQL instead (src/sync/scim-query.ts).
import type { AttrPath, CompValue, Filter } from "./scim-filter.js";

/** Attributes whose string values compare case-sensitively (caseExact: true in RFC 7643). */
const CASE_EXACT = new Set(["id", "externalid"]);

/** Reads a key of an object ignoring case, as SCIM attribute names are case-insensitive. */
export function getIgnoringCase(object: unknown, key: string): unknown {
  if (!object || typeof object !== "object" || Array.isArray(object)) return undefined;
  const record = object as Record<string, unknown>;
  if (key in record) return record[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(record)) if (k.toLowerCase() === lower) return record[k];
  return undefined;
}

function valuesAt(target: unknown, attr: AttrPath): unknown[] {
  const container = attr.uri ? getIgnoringCase(target, attr.uri) ?? (isCoreUri(attr.uri) ? target : undefined) : target;
  let value = getIgnoringCase(container, attr.name);
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  if (!attr.sub) return list;
  return list.flatMap((item) => {
    value = getIgnoringCase(item, attr.sub!);
    return Array.isArray(value) ? value : value === undefined ? [] : [value];
  });
}

const isCoreUri = (uri: string) => /^urn:ietf:params:scim:schemas:core:2\.0:/i.test(uri);

export function matchesFilter(target: unknown, filter: Filter): boolean {
  switch (filter.kind) {
    case "and":
      return matchesFilter(target, filter.left) && matchesFilter(target, filter.right);
    case "or":
      return matchesFilter(target, filter.left) || matchesFilter(target, filter.right);
    case "not":
      return !matchesFilter(target, filter.filter);
    case "present":
      return valuesAt(target, filter.attr).some(isPresent);
    case "valuePath":
      return valuesAt(target, filter.attr).some((element) => matchesFilter(element, filter.filter));
    case "compare": {
      const values = valuesAt(target, filter.attr);
      const caseExact = CASE_EXACT.has((filter.attr.sub ?? filter.attr.name).toLowerCase());
      if (filter.value === null) {
        // "eq null" means absent, "ne null" present; other operators never match null.
        const present = values.some(isPresent);
        return filter.op === "eq" ? !present : filter.op === "ne" ? present : false;
      }
      if (filter.op === "ne") return !values.some((v) => compare(v, "eq", filter.value, caseExact));
      return values.some((v) => compare(v, filter.op, filter.value, caseExact));
    }
  }
}

function isPresent(value: unknown): boolean {
  if (value === null || value === undefined || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

function compare(actual: unknown, op: string, expected: CompValue, caseExact: boolean): boolean {
  if (typeof expected === "boolean") {
    // Entra stores booleans as "True" / "False" strings in places; compare them as booleans.
    const bool = typeof actual === "string" ? actual.toLowerCase() === "true" ? true : actual.toLowerCase() === "false" ? false : undefined : actual;
    return op === "eq" && bool === expected;
  }
  if (typeof expected === "number") {
    const n = typeof actual === "number" ? actual : typeof actual === "string" && actual.trim() !== "" ? Number(actual) : NaN;
    if (Number.isNaN(n)) return false;
    return ordered(n, op, expected);
  }
  if (typeof actual !== "string" && typeof actual !== "number" && typeof actual !== "boolean") return false;
  const a = caseExact ? String(actual) : String(actual).toLowerCase();
  const b = caseExact ? expected! : (expected as string).toLowerCase();
  switch (op) {
    case "co":
      return a.includes(b);
    case "sw":
      return a.startsWith(b);
    case "ew":
      return a.endsWith(b);
    default:
      return ordered(a, op, b);
  }
}

/** eq and the ordering operators; any other operator does not match. */
function ordered<T extends string | number>(a: T, op: string, b: T): boolean {
  switch (op) {
    case "eq":
      return a === b;
    case "gt":
      return a > b;
    case "ge":
      return a >= b;
    case "lt":
      return a < b;
    case "le":
      return a <= b;
    default:
      return false;
  }
}
