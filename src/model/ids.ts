// Prefixed, time-sortable ids ("directory_user_01J...") from one prefix table.
// Monotonic within a process, so ids created in one process sort in creation order.
import { randomFillSync } from "node:crypto";
import { monotonicFactory } from "ulid";

const prefixes = {
  organization: "org",
  organization_domain: "org_domain",
  directory: "directory",
  directory_user: "directory_user",
  directory_group: "directory_group",
  event: "event",
  api_key: "key",
  webhook_endpoint: "we",
  webhook_delivery: "webhook_delivery",
  webhook_attempt: "webhook_attempt",
  scim_request: "scim_request",
  sync_run: "sync_run",
  portal_link: "portal_link",
  portal_session: "portal_session",
  audit_event: "audit_event",
} as const;

/** The kinds of object that get an id. */
export type IdKind = keyof typeof prefixes;

// ulid's default source asks the OS for one byte per character (16 calls per id), and ids are minted
// per event: draw the bytes from a pooled buffer refilled from the same CSPRNG instead.
const pool = new Uint8Array(4096);
let poolAt = pool.length;
function pooledRandom(): number {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]! / 256;
}

const nextUlid = monotonicFactory(pooledRandom);

export function newId(kind: IdKind): string {
  return `${prefixes[kind]}_${nextUlid()}`;
}

/** True when `id` has the prefix of `kind` followed by a well-formed ULID. */
export function isId(kind: IdKind, id: string): boolean {
  const prefix = `${prefixes[kind]}_`;
  return id.startsWith(prefix) && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id.slice(prefix.length));
}
