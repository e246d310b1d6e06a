// The contract every pull connector (entra/, google/, okta/) implements. A connector knows its
// vendor and nothing else: it streams vendor records; normalize maps them, reconcile writes them.

/** One record as the vendor API returned it, tagged with what it describes. */
export type VendorRecord =
  | { kind: "user"; id: string; raw: Record<string, unknown> }
  | { kind: "group"; id: string; raw: Record<string, unknown> }
  | { kind: "membership"; groupId: string; userId: string }
  /** `soft`: the vendor can still restore the user (deactivate it); otherwise it is gone for good. */
  | { kind: "user_removed"; id: string; soft: boolean }
  | { kind: "group_removed"; id: string }
  | { kind: "membership_removed"; groupId: string; userId: string };

/** Where an incremental stream resumes; opaque to everyone but the connector that wrote it. */
export type SyncCursor = string;

/**
 * What a stream yields: a page of records, or (last) the cursor from which the next incremental
 * run resumes. A snapshot may end with one too, when the vendor's full listing also starts a feed.
 */
export type SyncItem = VendorRecord[] | { cursor: SyncCursor };

export interface PullConnector {
  /**
   * Every user, then every group with its memberships, page by page; memory stays bounded by one
   * page. Users come before the groups whose memberships name them.
   */
  snapshot(signal: AbortSignal): AsyncIterable<SyncItem>;
  /**
   * Changes since `cursor` where the vendor has a delta API; ends by yielding the next cursor.
   * Throws CursorExpiredError when the vendor no longer accepts the cursor (a full run must follow).
   * Absent for vendors without one (each incremental run is then a snapshot).
   */
  changes?(cursor: SyncCursor, signal: AbortSignal): AsyncIterable<SyncItem>;
  /** Proves the credentials work (one token request and one read); throws CredentialsError if not. */
  check(signal: AbortSignal): Promise<void>;
}

/** The vendor refused the saved cursor (expired or reset): the directory needs a full resync. */
export class CursorExpiredError extends Error {
  override name = "CursorExpiredError";
}

/** The credentials were refused or lack a permission; `reason` is safe to show to the operator. */
export class CredentialsError extends Error {
  override name = "CredentialsError";
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** True for a page of records, false for the closing cursor. */
export function isRecordPage(item: SyncItem): item is VendorRecord[] {
  return Array.isArray(item);
}
