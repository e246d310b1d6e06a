// Prefixed, time-sortable ids ("directory_user_01J...") from one prefix table.
// Monotonic within a process, so ids created in one process sort in creation order.
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

const nextUlid = monotonicFactory();

export function newId(kind: IdKind): string {
  return `${prefixes[kind]}_${nextUlid()}`;
}

/** True when `id` has the prefix of `kind` followed by a well-formed ULID. */
export function isId(kind: IdKind, id: string): boolean {
  const prefix = `${prefixes[kind]}_`;
  return id.startsWith(prefix) && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id.slice(prefix.length));
}
