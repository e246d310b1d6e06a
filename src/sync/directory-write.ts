// One write transaction on one directory: holds the directory's lock, hands out the directory's
// event sequence numbers, and appends the events with the state they describe (the outbox).
import { and, eq, sql } from "drizzle-orm";
import type { Tx } from "../db/client.js";
import { directories, events } from "../db/schema.js";
import { GatewayError } from "../errors.js";
import { newId, type EventType } from "../model/index.js";
import { BULK_CHUNK } from "./bulk.js";
import type { DirectoryRow } from "./render.js";
import type { DirectoryScope } from "./scope.js";

/**
 * An event's payload by reference: the user as it stood at a point in the renderings' sequence (its
 * api_version then), which readers render (sync/events.ts). Stored so instead of a copy of the
 * rendering (see events in schema.ts).
 */
export interface Shown {
  user_id: string;
  rendered_as_of: number;
}

interface PendingEvent {
  id: string;
  event: EventType;
  data: Record<string, unknown> | null;
  shown: Shown | null;
  seq: number;
}

export class DirectoryWrite {
  private pending: PendingEvent[] = [];
  /** Statements started but not yet awaited (event chunks, the sequence update), and the first one's failure. */
  private inflight: PromiseLike<unknown>[] = [];
  private failure: unknown = null;

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
    // Sent together (one round trip on postgres.js): the server runs the select once the lock is
    // granted, with a fresh READ COMMITTED snapshot, so it reads the current event_seq.
    const lock = tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${scope.directoryId}, 0))`);
    const select = tx
      .select()
      .from(directories)
      .where(and(eq(directories.id, scope.directoryId), eq(directories.organizationId, scope.organizationId)));
    const [, [directory]] = await Promise.all([lock, select]);
    if (!directory) throw new GatewayError("not_found", `directory not found: ${scope.directoryId}`);
    return new DirectoryWrite(tx, scope, now, directory, directory.eventSeq);
  }

  emit(event: EventType, data: Record<string, unknown>): void {
    this.push(event, data, null);
  }

  /** An event whose payload is a rendering the database keeps (dsync.user.created): stored as its reference. */
  emitShown(event: "dsync.user.created", shown: Shown): void {
    this.push(event, null, shown);
  }

  private push(event: EventType, data: Record<string, unknown> | null, shown: Shown | null): void {
    this.seq += 1;
    this.pending.push({ id: newId("event"), event, data, shown, seq: this.seq });
    this.sendFullChunk();
  }

  /**
   * For events a statement of the caller's renders and inserts itself (membership events are built
   * from the rows they name, in the statement that writes the edges): `insert(firstSeq)` numbers
   * them from firstSeq on, in order, and returns how many it inserted. Events emitted before are
   * sent first, so rows stay in sequence order.
   */
  async emitInDatabase<T>(insert: (firstSeq: number) => Promise<{ count: number; value: T }>): Promise<T> {
    this.sendChunk();
    const { count, value } = await insert(this.seq + 1);
    this.seq += count;
    return value;
  }

  private sendFullChunk(): void {
    if (this.pending.length >= BULK_CHUNK) this.sendChunk();
  }

  /**
   * Starts inserting the buffered events without waiting: the database parses and stores them while
   * the caller renders the next events (statements on one connection run in order, so rows still
   * go in sequence order). flush() awaits it. A failed insert aborts the transaction, so the
   * caller's next statement fails too; flush() reports the insert's own error.
   */
  private sendChunk(): void {
    if (this.pending.length === 0) return;
    const chunk = this.pending;
    this.pending = [];
    this.send(this.insertChunk(chunk));
  }

  private send(statement: PromiseLike<unknown>): void {
    // then(), not Promise.resolve(): a drizzle query starts when then() is called, and it must start now.
    this.inflight.push(
      statement.then(undefined, (error: unknown) => {
        this.failure ??= error;
      }),
    );
  }

  /**
   * Sends the buffered events and the sequence's new high-water mark, and resolves once every
   * statement of the write is done; call once, before commit. It sends everything before it first
   * waits, so the caller may commit without awaiting it: COMMIT then follows these statements on the
   * connection and shares their round trip. Such a caller must await it after the commit, because a
   * failed statement aborts the transaction and postgres.js reports the COMMIT that then rolls back
   * as a success.
   */
  flush(): Promise<void> {
    this.sendChunk();
    if (this.seq !== this.directory.eventSeq) {
      this.send(this.tx.update(directories).set({ eventSeq: this.seq }).where(eq(directories.id, this.scope.directoryId)));
    }
    const sent = this.inflight;
    this.inflight = [];
    return Promise.all(sent).then(() => {
      if (this.failure) throw this.failure;
    });
  }

  /**
   * One statement for up to BULK_CHUNK events: the rows travel as one json parameter, payloads
   * spliced in as they are. json, not jsonb (unlike bulk.ts), and events.data is text: each payload
   * is stored as the text it arrived as, never parsed into jsonb and printed back (measured ~30 %
   * faster for 1.4 KB payloads) nor checked again. Rows go in sequence order, so `position` (a
   * serial) follows the per-directory sequence too.
   */
  private async insertChunk(chunk: PendingEvent[]): Promise<void> {
    const json = `[${chunk
      .map((e) => `{"id":"${e.id}","seq":${e.seq},"event":"${e.event}",${e.shown ? JSON.stringify(e.shown).slice(1, -1) : `"data":${JSON.stringify(e.data)}`}}`)
      .join(",")}]`;
    await this.tx.execute(sql`
      insert into ${events} (id, organization_id, directory_id, directory_seq, event, data, user_id, rendered_as_of, created_at)
      select x.id, ${this.scope.organizationId}, ${this.scope.directoryId}, x.seq, x.event, x.data, x.user_id, x.rendered_as_of, ${this.now.toISOString()}::timestamptz
      from json_to_recordset(${json}::json) as x(id text, seq bigint, event text, data text, user_id text, rendered_as_of bigint)`);
  }
}
