// One write transaction on one directory: holds the directory's lock, hands out the directory's
// event sequence numbers, and appends the events with the state they describe (the outbox).
import { and, eq, sql } from "drizzle-orm";
import type { Tx } from "../db/client.js";
import { directories, events } from "../db/schema.js";
import { GatewayError } from "../errors.js";
import { newId, type EventType } from "../model/index.js";
import type { DirectoryRow } from "./render.js";
import type { DirectoryScope } from "./scope.js";

interface PendingEvent {
  id: string;
  event: EventType;
  data: Record<string, unknown>;
  seq: number;
}

/** An event as written, for callers that need to know what a write emitted. */
export interface EmittedEvent {
  id: string;
  event: EventType;
  directory_seq: number;
}

export class DirectoryWrite {
  private pending: PendingEvent[] = [];

  private constructor(
    readonly tx: Tx,
    readonly scope: DirectoryScope,
    readonly now: Date,
    readonly directory: DirectoryRow,
    private seq: number,
  ) {}

  /**
   * Takes the directory's lock for the rest of the transaction. It is an advisory lock, taken before
   * the transaction writes anything, so the transaction id is assigned after the lock is held: within
   * one directory, transaction ids then follow commit order, which the event feed relies on.
   */
  static async begin(tx: Tx, scope: DirectoryScope, now: Date): Promise<DirectoryWrite> {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${scope.directoryId}, 0))`);
    const [directory] = await tx
      .select()
      .from(directories)
      .where(and(eq(directories.id, scope.directoryId), eq(directories.organizationId, scope.organizationId)));
    if (!directory) throw new GatewayError("not_found", `directory not found: ${scope.directoryId}`);
    return new DirectoryWrite(tx, scope, now, directory, directory.eventSeq);
  }

  emit(event: EventType, data: Record<string, unknown>): void {
    this.seq += 1;
    this.pending.push({ id: newId("event"), event, data, seq: this.seq });
  }

  /**
   * Hands over the events buffered so far without writing them: a dry run reads what a write would
   * emit, then rolls the transaction back.
   */
  takePending(): { event: EventType; data: Record<string, unknown> }[] {
    const taken = this.pending.map((e) => ({ event: e.event, data: e.data }));
    this.pending = [];
    return taken;
  }

  /** Writes the buffered events and the new sequence high-water mark; call once, before commit. */
  async flush(): Promise<EmittedEvent[]> {
    if (this.pending.length === 0) return [];
    const rows = this.pending.map((e) => ({
      id: e.id,
      organizationId: this.scope.organizationId,
      directoryId: this.scope.directoryId,
      directorySeq: e.seq,
      event: e.event,
      data: e.data,
      createdAt: this.now,
    }));
    // Rows go in sequence order, so `position` (a serial) follows the per-directory sequence too.
    for (let i = 0; i < rows.length; i += 500) await this.tx.insert(events).values(rows.slice(i, i + 500));
    await this.tx.update(directories).set({ eventSeq: this.seq }).where(eq(directories.id, this.scope.directoryId));
    const emitted = this.pending.map((e) => ({ id: e.id, event: e.event, directory_seq: e.seq }));
    this.pending = [];
    return emitted;
  }
}
