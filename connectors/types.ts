// The contract every pull connector (entra/, google/, okta/) implements. A connector knows its
// vendor and nothing else: it streams vendor records; normalize maps them, reconcile writes them.

/** One record as the vendor API returned it, tagged with what it describes. */
export type VendorRecord =
  | { kind: "user"; id: string; raw: Record<string, unknown> }
  | { kind: "group"; id: string; raw: Record<string, unknown> }
  | { kind: "membership"; groupId: string; userId: string }
  | { kind: "user_removed"; id: string }
  | { kind: "group_removed"; id: string }
  | { kind: "membership_removed"; groupId: string; userId: string };

/** Where an incremental stream resumes; opaque to everyone but the connector that wrote it. */
export type SyncCursor = string;

export interface PullConnector {
  /** Every user, group and membership, page by page; memory stays bounded by one page. */
  snapshot(signal: AbortSignal): AsyncIterable<VendorRecord[]>;
  /**
   * Changes since `cursor` where the vendor has a delta API; ends by yielding the next cursor.
   * Absent for vendors without one (each incremental run is then a snapshot).
   */
  changes?(cursor: SyncCursor, signal: AbortSignal): AsyncIterable<VendorRecord[] | { cursor: SyncCursor }>;
}
