// The event feed: events in commit order, readable from a cursor. A reader sees only events whose
// transaction id is below the oldest transaction still running, so an event can never become
// visible behind a cursor that has already passed its place (the outbox trap).
import { and, asc, desc, eq, gte, inArray, lte, sql, type AnyColumn, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { fetchPage, type Keyset, type PageRequest } from "../db/paginate.js";
import { directoryGroups, directoryUsers, events, renderingHistory } from "../db/schema.js";
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

/**
 * A user's or group's rendering as it stood at point `asOf` of the renderings' sequence: the row's
 * own if its api_version is that old (it is the latest), else its latest superseded one by then
 * (migration 0006 has the rendering functions and the triggers that keep superseded renderings).
 */
function renderingAsOf(table: typeof directoryUsers | typeof directoryGroups, id: AnyColumn, asOf: AnyColumn): SQL {
  const render = sql.raw(table === directoryUsers ? "dsync_user_json" : "dsync_group_json");
  return sql`coalesce(
    (select ${render}(r) from ${table} r where r.id = ${id} and r.api_version <= ${asOf}),
    (select h.api_json from ${renderingHistory} h where h.id = ${id} and h.version <= ${asOf} order by h.version desc limit 1))`;
}

/**
 * An event's payload: as stored, or rendered from the renderings it names (see events in schema.ts):
 * dsync.user.created is the user with no groups yet; a membership event is `{ directory_id, user,
 * group }`, its user without `groups`, as in WorkOS's membership events (WorkOS has deprecated the
 * field for being unbounded).
 */
export const eventPayload = sql<Record<string, unknown>>`case
  when ${events.data} is not null then ${events.data}
  when ${events.groupId} is null then left(${renderingAsOf(directoryUsers, events.userId, events.renderedAsOf)}, -1) || ', "groups" : []}'
  else '{"directory_id":' || to_json(${events.directoryId})::text
    || ',"user":' || ${renderingAsOf(directoryUsers, events.userId, events.renderedAsOf)}
    || ',"group":' || ${renderingAsOf(directoryGroups, events.groupId, events.renderedAsOf)} || '}' end`.mapWith(events.data);

/** An event row as readers select it: its payload rendered, the references it was stored as left out. */
const eventRow = {
  id: events.id,
  organizationId: events.organizationId,
  directoryId: events.directoryId,
  directorySeq: events.directorySeq,
  event: events.event,
  data: eventPayload,
  createdAt: events.createdAt,
  txid: events.txid,
  position: events.position,
};

type EventRow = Omit<typeof events.$inferSelect, "data" | "userId" | "groupId" | "renderedAsOf"> & { data: Record<string, unknown> };

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
      .select(eventRow)
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
  const rows = await db.select(eventRow).from(events).where(eq(events.directoryId, directoryId)).orderBy(asc(events.directorySeq));
  return rows.map((row) => ({ ...toDirectoryEvent(row), directory_seq: row.directorySeq }));
}

function toDirectoryEvent(row: EventRow): DirectoryEvent {
  return {
    object: "event",
    id: row.id,
    event: row.event as EventType,
    data: row.data,
    created_at: row.createdAt.toISOString(),
  };
}

/** A place in the feed: (txid, position) of an event, or the start { txid: "0", position: 0 }. */
export interface FeedPosition {
  txid: string;
  position: number;
}

export const FEED_START: FeedPosition = { txid: "0", position: 0 };

/** A settled event with its feed place and directory, for consumers that keep their own cursor. */
export interface FeedEvent extends DirectoryEvent {
  organization_id: string;
  directory_id: string;
  directory_seq: number;
  feed: FeedPosition;
}

/**
 * Settled events after `after` (and at or before `until`, when given), in feed order. Run inside a
 * consumer's transaction, it sees only what is final, so the consumer can store the last row's
 * position as its cursor and never skip an event that commits later.
 */
export async function readSettledEventsAfter(db: Db, after: FeedPosition, limit: number, until?: FeedPosition): Promise<FeedEvent[]> {
  const rows = await db
    .select(eventRow)
    .from(events)
    .where(
      and(
        settled,
        // Raw SQL: drizzle has no row-value comparison.
        sql`(${events.txid}, ${events.position}) > (${after.txid}::xid8, ${after.position}::bigint)`,
        until ? sql`(${events.txid}, ${events.position}) <= (${until.txid}::xid8, ${until.position}::bigint)` : undefined,
      ),
    )
    .orderBy(asc(events.txid), asc(events.position))
    .limit(limit);
  return rows.map(toFeedEvent);
}

/** The feed place of one event, or null when there is no such event. */
export async function feedPositionOf(db: Db, eventId: string): Promise<FeedPosition | null> {
  const [row] = await db.select({ txid: events.txid, position: events.position }).from(events).where(eq(events.id, eventId));
  return row ? { txid: String(row.txid), position: Number(row.position) } : null;
}

/** Events by id (any order), with their feed place and directory, for delivering them. */
export async function getEventsByIds(db: Db, ids: string[]): Promise<Map<string, FeedEvent>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select(eventRow).from(events).where(inArray(events.id, ids));
  return new Map(rows.map((row) => [row.id, toFeedEvent(row)]));
}

function toFeedEvent(row: EventRow): FeedEvent {
  return {
    ...toDirectoryEvent(row),
    organization_id: row.organizationId,
    directory_id: row.directoryId,
    directory_seq: row.directorySeq,
    feed: { txid: String(row.txid), position: Number(row.position) },
  };
}

/**
 * Resolves once every transaction that was running when it was called has ended, so everything
 * committed before the call is visible in the feed. The horizon is cluster-wide: a transaction in
 * another database of the same server also holds the feed back until it ends.
 */
export async function waitForSettledFeed(db: Db, timeoutMs = 10_000): Promise<void> {
  const horizon = await scalar(db, sql`select pg_snapshot_xmax(pg_current_snapshot())::text as v`);
  const deadline = Date.now() + timeoutMs;
  while ((await scalar(db, sql`select (pg_snapshot_xmin(pg_current_snapshot()) >= ${horizon}::xid8)::text as v`)) !== "true") {
    if (Date.now() > deadline) throw new Error(`the event feed did not settle within ${timeoutMs} ms: a transaction is still running`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function scalar(db: Db, query: SQL): Promise<string> {
  const result = (await db.execute(query)) as unknown;
  // postgres.js returns the rows; PGlite returns { rows }.
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { v: string }[];
  return rows[0]!.v;
}
