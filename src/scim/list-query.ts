// The query side of SCIM lists (RFC 7644 §3.4.2, §3.4.3): filter, startIndex, count, attributes and
// excludedAttributes, from a query string or a POST .search body. A bad filter is 400 invalidFilter.
import type { Context } from "hono";
import type { Filter } from "../normalize/scim-filter.js";
import { parseScimFilter } from "../normalize/scim-filter.js";
import { scimError } from "./errors.js";
import { getIgnoringCase } from "../normalize/scim-filter-match.js";
import { LIST_SCHEMA, parseProjection, type Projection } from "./resources.js";

/** What a list request asks for, parsed. */
export interface ListQuery {
  filter: Filter | null;
  startIndex: number;
  count: number;
  projection: Projection;
}

export const DEFAULT_COUNT = 100;

export function readListQuery(c: Context, maxResults: number): ListQuery {
  const q = queryParam(c);
  return buildQuery(q("filter"), q("startIndex"), q("count"), q("attributes"), q("excludedAttributes"), maxResults);
}

/** attributes / excludedAttributes alone, for responses that carry one resource. */
export function readProjection(c: Context): Projection {
  const q = queryParam(c);
  return parseProjection(q("attributes"), q("excludedAttributes"));
}

/** Query parameters by name, ignoring case ("startindex" works too). */
function queryParam(c: Context): (name: string) => string | undefined {
  const query = c.req.query();
  return (name) => Object.entries(query).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** POST /Users/.search: the same parameters in a SearchRequest body. */
export function readSearchBody(body: Record<string, unknown>, maxResults: number): ListQuery {
  const get = (name: string) => {
    const value = getIgnoringCase(body, name);
    if (value === undefined || value === null) return undefined;
    return Array.isArray(value) ? value.join(",") : String(value);
  };
  return buildQuery(get("filter"), get("startIndex"), get("count"), get("attributes"), get("excludedAttributes"), maxResults);
}

function buildQuery(
  filterText: string | undefined,
  startIndexText: string | undefined,
  countText: string | undefined,
  attributes: string | undefined,
  excluded: string | undefined,
  maxResults: number,
): ListQuery {
  let filter: Filter | null = null;
  if (filterText !== undefined && filterText.trim() !== "") {
    const parsed = parseScimFilter(filterText);
    if (!parsed.ok) throw scimError("invalid_filter", parsed.error.detail, "invalidFilter");
    filter = parsed.value;
  }
  return {
    filter,
    // §3.4.2.4: startIndex below 1 is read as 1; a negative count as 0; count is capped at maxResults.
    startIndex: Math.max(1, integer(startIndexText, "startIndex") ?? 1),
    count: Math.min(maxResults, Math.max(0, integer(countText, "count") ?? DEFAULT_COUNT)),
    projection: parseProjection(attributes, excluded),
  };
}

function integer(text: string | undefined, name: string): number | null {
  if (text === undefined || text.trim() === "") return null;
  const value = Number(text);
  if (!Number.isInteger(value)) throw scimError("invalid_input", `${name} must be an integer`, "invalidValue");
  return value;
}

/** The ListResponse envelope. */
export function listResponse(resources: unknown[], total: number, startIndex: number) {
  return { schemas: [LIST_SCHEMA], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}
