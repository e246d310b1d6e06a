// Source paths of attribute mappings, for SCIM resources and vendor records alike: SCIM path syntax
// (`name.givenName`, `urn:…:enterprise:2.0:User:manager.value`, `emails[type eq "work"].value`)
// extended to any depth (`customSchemas.Hr.costCenter`, `organizations[primary eq true].title`).
// Value filters are parsed and evaluated by the SCIM filter grammar (scim/filter-parser, filter-match),
// so a path means the same thing here as in a SCIM filter or PATCH. Pure, no I/O.
import { matchesFilter } from "./scim-filter-match.js";
import { parseScimFilter, type Filter } from "./scim-filter.js";

/** One step of a path: an attribute name, optionally narrowed by a value filter over its elements. */
interface Segment {
  name: string;
  filter: Filter | null;
}

/** A parsed source path. */
export interface SourcePath {
  /** Schema URN the first segment lives under (`urn:…:User`), or null. */
  uri: string | null;
  segments: Segment[];
}

export type PathResult = { ok: true; value: SourcePath } | { ok: false; error: string };

export const MAX_PATH_LENGTH = 512;
const NAME = /^[A-Za-z0-9_$@-][A-Za-z0-9_$@#-]*$/;

/** Parses a source path; the error names what is wrong, for the API to show. */
export function parseSourcePath(path: string): PathResult {
  if (path.length === 0 || path.length > MAX_PATH_LENGTH) return { ok: false, error: `must be 1 to ${MAX_PATH_LENGTH} characters` };
  let uri: string | null = null;
  let rest = path;
  if (/^urn:/i.test(path)) {
    // The URN is everything up to the last ":" before any value filter (filters may quote a ":").
    const bracket = path.indexOf("[");
    const head = bracket === -1 ? path : path.slice(0, bracket);
    const cut = head.lastIndexOf(":");
    uri = path.slice(0, cut);
    rest = path.slice(cut + 1);
  }
  const segments: Segment[] = [];
  for (const text of splitSegments(rest)) {
    if (text === null) return { ok: false, error: "unbalanced [ ] or quotes" };
    const open = text.indexOf("[");
    const name = open === -1 ? text : text.slice(0, open);
    if (!NAME.test(name)) return { ok: false, error: `invalid attribute name ${JSON.stringify(name)}` };
    let filter: Filter | null = null;
    if (open !== -1) {
      if (!text.endsWith("]")) return { ok: false, error: `a value filter must close the segment ${JSON.stringify(text)}` };
      const parsed = parseScimFilter(text.slice(open + 1, -1));
      if (!parsed.ok) return { ok: false, error: parsed.error.detail };
      filter = parsed.value;
    }
    segments.push({ name, filter });
  }
  return { ok: true, value: { uri, segments } };
}

/** Splits on "." outside brackets and quotes; yields null for a malformed path. */
function* splitSegments(text: string): Generator<string | null> {
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === "\\") i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === "[") depth++;
    else if (ch === "]") depth--;
    else if (ch === "." && depth === 0) {
      yield text.slice(start, i);
      start = i + 1;
    }
    if (depth < 0) return yield null;
  }
  if (depth !== 0 || quoted) return yield null;
  yield text.slice(start);
}

// Mappings are few and their paths repeat for every record: parse each once.
const cache = new Map<string, SourcePath | null>();
const CACHE_LIMIT = 2000;

function compiled(path: string): SourcePath | null {
  let parsed = cache.get(path);
  if (parsed === undefined) {
    const result = parseSourcePath(path);
    parsed = result.ok ? result.value : null;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(path, parsed);
  }
  return parsed;
}

/** An own property, matched in any case (never one inherited from Object.prototype, such as "constructor"). */
function getIgnoringCase(object: unknown, key: string): unknown {
  if (!object || typeof object !== "object" || Array.isArray(object)) return undefined;
  const record = object as Record<string, unknown>;
  if (Object.hasOwn(record, key)) return record[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(record)) if (k.toLowerCase() === lower) return record[k];
  return undefined;
}

const isCoreUri = (uri: string) => /^urn:ietf:params:scim:schemas:core:2\.0:/i.test(uri);

/**
 * The values a path points at, in document order. Multi-valued attributes met on the way are walked
 * element by element (SCIM semantics: `emails.value` is every address); the last segment's value is
 * returned as it is unless a filter picks elements of it. Attribute names match in any case.
 */
export function readSourcePath(record: unknown, path: string): unknown[] {
  const parsed = compiled(path);
  if (!parsed) return [];
  let segments = parsed.segments;
  let current: unknown[] = [record];
  if (parsed.uri) {
    // Some IdPs flatten an extension attribute into a top-level "urn:…:User:department" key.
    const flattened = getIgnoringCase(record, `${parsed.uri}:${segments[0]!.name}`);
    if (flattened !== undefined) {
      current = step([flattened], segments[0]!.filter, segments.length === 1);
      segments = segments.slice(1);
    } else {
      const container = getIgnoringCase(record, parsed.uri) ?? (isCoreUri(parsed.uri) ? record : undefined);
      current = container === undefined ? [] : [container];
    }
  }
  segments.forEach((segment, i) => {
    const values = current.map((value) => getIgnoringCase(value, segment.name)).filter((v) => v !== undefined);
    current = step(values, segment.filter, i === segments.length - 1);
  });
  return current.filter((v) => v !== undefined && v !== null);
}

function step(values: unknown[], filter: Filter | null, last: boolean): unknown[] {
  if (last && !filter) return values;
  const elements = values.flatMap((v) => (Array.isArray(v) ? v : [v]));
  return filter ? elements.filter((e) => matchesFilter(e, filter)) : elements;
}
