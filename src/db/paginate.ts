// Keyset pagination with the WorkOS list semantics: limit, before / after cursors, and order
// asc, desc or normal (descending, with before and after swapped so `after` means newer).
import type { SQL } from "drizzle-orm";

export type ListOrder = "asc" | "desc" | "normal";

/** What a list request asks for. */
export interface PageRequest {
  limit: number;
  order: ListOrder;
  before?: string | undefined;
  after?: string | undefined;
}

/** The list envelope's cursors: each is the id to pass to fetch the neighbouring page, or null. */
export interface ListMetadata {
  before: string | null;
  after: string | null;
}

/** How to compare and sort by a list's key; `greater(c)` selects rows after cursor c in ascending order. */
export interface Keyset {
  greater(cursor: string): SQL;
  less(cursor: string): SQL;
  ascending: SQL[];
  descending: SQL[];
}

/**
 * Runs `fetch` with the cursor condition, sort and limit for the requested page (one extra row to
 * learn whether more exist) and returns the rows in presentation order with the list metadata.
 */
export async function fetchPage<Row extends { id: string }>(
  request: PageRequest,
  keyset: Keyset,
  fetch: (cursor: SQL | undefined, orderBy: SQL[], limit: number) => Promise<Row[]>,
): Promise<{ rows: Row[]; list_metadata: ListMetadata }> {
  const descending = request.order !== "asc";
  const forward: keyof ListMetadata = request.order === "normal" ? "before" : "after";
  const backward: keyof ListMetadata = forward === "after" ? "before" : "after";
  const beyond = (cursor: string, towardsEnd: boolean) =>
    towardsEnd === descending ? keyset.less(cursor) : keyset.greater(cursor);

  const backCursor = request[backward];
  if (backCursor) {
    const rows = await fetch(beyond(backCursor, false), descending ? keyset.ascending : keyset.descending, request.limit + 1);
    const more = rows.length > request.limit;
    const page = rows.slice(0, request.limit).reverse();
    return { rows: page, list_metadata: metadata(forward, page.at(-1)?.id ?? backCursor, more ? page[0]!.id : null) };
  }
  const cursor = request[forward];
  const rows = await fetch(cursor ? beyond(cursor, true) : undefined, descending ? keyset.descending : keyset.ascending, request.limit + 1);
  const more = rows.length > request.limit;
  const page = rows.slice(0, request.limit);
  return { rows: page, list_metadata: metadata(forward, more ? page.at(-1)!.id : null, cursor ? (page[0]?.id ?? cursor) : null) };
}

/** Names the cursors: `onward` continues in the direction of travel, `back` returns. */
function metadata(forward: keyof ListMetadata, onward: string | null, back: string | null): ListMetadata {
  return forward === "after" ? { before: back, after: onward } : { before: onward, after: back };
}
