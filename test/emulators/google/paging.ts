// Opaque page tokens and page slicing for Directory API lists. A token carries the position after
// the last item served (a sort key for users and groups, an offset for members), a fingerprint of
// the query it belongs to, and its issue time: Google's page tokens are valid for 3 days [§2.3].
import { invalidInput } from "./errors.js";

export const PAGE_TOKEN_LIFETIME_MS = 3 * 24 * 3600_000;

export type SortKey = Array<string | number>;

interface TokenBody {
  /** The list and its parameters, so a token cannot be replayed against another query. */
  f: string;
  /** Sort key of the last item served, or an offset. */
  k: SortKey;
  /** Issue time on the emulator clock. */
  t: number;
}

export function encodePageToken(fingerprint: string, key: SortKey, issuedAt: number): string {
  const body: TokenBody = { f: fingerprint, k: key, t: issuedAt };
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

/** Decodes and checks a token; a malformed, foreign or expired one is a 400, as in Google. */
export function decodePageToken(token: string, fingerprint: string, now: number): SortKey {
  let body: TokenBody;
  try {
    body = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as TokenBody;
  } catch {
    throw invalidInput("pageToken");
  }
  if (!body || body.f !== fingerprint || !Array.isArray(body.k) || typeof body.t !== "number") throw invalidInput("pageToken");
  if (now - body.t > PAGE_TOKEN_LIFETIME_MS) throw invalidInput("pageToken");
  return body.k;
}

export function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Serves one page from `sorted` (ascending by `keyOf`, or descending when `descending`): items
 * after `after` that pass `filter`, at most `max`, plus the key to continue from if more remain.
 */
export function slicePage<T>(
  sorted: readonly T[],
  keyOf: (item: T) => SortKey,
  descending: boolean,
  after: SortKey | null,
  filter: (item: T) => boolean,
  max: number,
): { items: T[]; nextKey: SortKey | null } {
  const cmp = (a: SortKey, b: SortKey) => (descending ? -compareKeys(a, b) : compareKeys(a, b));
  // Binary search for the first item strictly after the cursor: keyset paging, so mutations
  // between pages neither skip nor repeat the items that did not change.
  let lo = 0;
  if (after) {
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp(keyOf(sorted[mid]!), after) <= 0) lo = mid + 1;
      else hi = mid;
    }
  }
  const items: T[] = [];
  let i = lo;
  for (; i < sorted.length && items.length < max; i++) {
    const item = sorted[i]!;
    if (filter(item)) items.push(item);
  }
  let more = false;
  for (; i < sorted.length; i++) {
    if (filter(sorted[i]!)) {
      more = true;
      break;
    }
  }
  const last = items[items.length - 1];
  return { items, nextKey: more && last !== undefined ? keyOf(last) : null };
}

/** Parses maxResults: absent means `fallback`; outside 1..cap is a 400, as Google's clients validate. */
export function parseMaxResults(raw: string | undefined, fallback: number, cap: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > cap) throw invalidInput("maxResults");
  return n;
}
