// The event feed: events in commit order, readable from a cursor. A reader sees only events whose
// transaction id is below the oldest transaction still running, so an event can never become
// visible behind a cursor that has already passed its place (the outbox trap).
import { and, asc, desc, eq, gte, inArray, lte, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { fetchPage, type Keyset, type PageRequest } from "../db/paginate.js";
import { events } from "../db/schema.js";
import type { DirectoryEvent, EventType } from "../model/index.js";
import type { Page } from "./read.js";
import type { Access } from "./scope.js";

export interface EventFilter {
  types?: EventType[] | undefined;
  organizationId?: string | undefined;
  directoryId?: string | undefined;
  rangeStart?: Date | undefined;
  rangeEnd?: Date | undefined;
}

/** Rows committed by transactions older than every running one: their place in the order is final. */
const settled = sql`${events.txid} < pg_snapshot_xmin(pg_current_snapshot())`;

// Raw SQL because drizzle has no row-value comparison; the alias keeps the subquery unambiguous.
const feedKeyset: Keyset = {
  greater: (c) => sql`(${events.txid}, ${events.position}) > (select cur.txid, cur.position from events cur where cur.id = ${c})`,
  less: (c) => sql`(${events.txid}, ${events.position}) < (select cur.txid, cur.position from events cur where cur.id = ${c})`,
  ascending: [asc(events.txid), asc(events.position)],
  descending: [desc(events.txid), desc(events.position)],
};

function accessCondition(access: Access): SQL | undefined {
  return access.kind === "organization" ? eq(events.organizationId, access.organizationId) : undefined;
}

export async function listEvents(db: Db, access: Access, filter: EventFilter, request: PageRequest): Promise<Page<DirectoryEvent>> {
  const conditions = [
    settled,
    accessCondition(access),
    filter.types?.length ? inArray(events.event, filter.types) : undefined,
    filter.organizationId ? eq(events.organizationId, filter.organizationId) : undefined,
    filter.directoryId ? eq(events.directoryId, filter.directoryId) : undefined,
    filter.rangeStart ? gte(events.createdAt, filter.rangeStart) : undefined,
    filter.rangeEnd ? lte(events.createdAt, filter.rangeEnd) : undefined,
  ];
  const { rows, list_metadata } = await fetchPage(request, feedKeyset, (cursor, orderBy, limit) =>
    db
      .select()
      .from(events)
      .where(and(...conditions, cursor))
      .orderBy(...orderBy)
      .limit(limit),
  );
  return { data: rows.map(toDirectoryEvent), list_metadata };
}

/** True when the event exists and the caller may see it; cursors must name such an event. */
export async function isVisibleEvent(db: Db, access: Access, id: string): Promise<boolean> {
  const [row] = await db
    .select({ id: events.id })
    .from(events)
    .where(and(eq(events.id, id), accessCondition(access)));
  return Boolean(row);
}

/** Events of one directory in sequence order, for tests and tools that audit the order. */
export async function listDirectoryEventsBySeq(db: Db, directoryId: string): Promise<(DirectoryEvent & { directory_seq: number })[]> {
  const rows = await db.select().from(events).where(eq(events.directoryId, directoryId)).orderBy(asc(events.directorySeq));
  return rows.map((row) => ({ ...toDirectoryEvent(row), directory_seq: row.directorySeq }));
}

function toDirectoryEvent(row: typeof events.$inferSelect): DirectoryEvent {
  return {
    object: "event",
    id: row.id,
    event: row.event as EventType,
    data: row.data,
    created_at: row.createdAt.toISOString(),
  };
}
