// Fan-out: turns settled events into one delivery row per interested endpoint. It reads the event
// feed through sync's cursor API and keeps its own cursor row, so reconcile never knows webhooks
// exist. Also schedules redeliveries and replays. Owns webhook_dispatch_cursor.
import { eq, ne, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { webhookDeliveries, webhookDispatchCursor } from "../db/schema.js";
import { isDeprovisioning, newId } from "../model/index.js";
import { FEED_START, readSettledEventsAfter, type FeedEvent, type FeedPosition } from "../sync/index.js";
import { listDispatchTargets, type DispatchTarget } from "./endpoints.js";

const CURSOR_ID = "default";
type DeliveryInsert = typeof webhookDeliveries.$inferInsert;

/**
 * The user, group or directory an event is about: deliveries with the same key reach an endpoint
 * in feed order. Membership events are keyed by the user: what an app must never see reordered is
 * a user's own story (created, added to a group, removed, deleted); the payload carries the whole
 * group, so an app can create a group it has not heard of yet.
 */
export function resourceKeyOf(event: FeedEvent): string {
  const data = event.data as { id?: unknown; user?: { id?: unknown } };
  if (event.event === "dsync.group.user_added" || event.event === "dsync.group.user_removed") {
    if (typeof data.user?.id === "string") return data.user.id;
  } else if (event.event.startsWith("dsync.user.") || event.event.startsWith("dsync.group.")) {
    if (typeof data.id === "string") return data.id;
  }
  return event.directory_id;
}

/** 0 for deprovisioning (claimed ahead of everything else), 1 otherwise. */
export const priorityOf = (event: FeedEvent): number => (isDeprovisioning(event.event, event.data) ? 0 : 1);

/** Whether an endpoint's filters select the event (creation time aside). */
export function wants(target: DispatchTarget, event: FeedEvent): boolean {
  if (target.events && !target.events.includes(event.event)) return false;
  if (target.organizationId && target.organizationId !== event.organization_id) return false;
  return true;
}

function deliveryRow(endpointId: string, event: FeedEvent, now: Date): DeliveryInsert {
  return {
    id: newId("webhook_delivery"),
    endpointId,
    eventId: event.id,
    eventType: event.event,
    resourceKey: resourceKeyOf(event),
    orderKey: event.feed.position,
    priority: priorityOf(event),
    state: "pending",
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
    updatedAt: now,
  };
}

/** Makes sure the cursor row exists (at the start of the feed); cheap and idempotent. */
export async function ensureDispatchCursor(db: Db, now: Date): Promise<void> {
  await db
    .insert(webhookDispatchCursor)
    .values({ id: CURSOR_ID, txid: FEED_START.txid, position: FEED_START.position, updatedAt: now })
    .onConflictDoNothing();
}

/** The dispatcher's position: events at or before it have their deliveries. */
export async function readDispatchCursor(db: Db): Promise<FeedPosition> {
  const [row] = await db.select().from(webhookDispatchCursor).where(eq(webhookDispatchCursor.id, CURSOR_ID));
  return row ? { txid: String(row.txid), position: Number(row.position) } : FEED_START;
}

/**
 * Fans out up to `limit` settled events past the cursor, in one transaction with the cursor move,
 * so a crash either dispatches the whole range or none of it. The cursor row is taken FOR UPDATE
 * SKIP LOCKED: a second worker skips dispatch while one is at it rather than dispatch the range
 * twice or queue behind it. An endpoint gets events created at or after its own creation; older
 * ones only by replay. Returns how many events were consumed.
 */
export async function dispatchEvents(db: Db, now: Date, limit: number): Promise<number> {
  return db.transaction(async (tx) => {
    const [cursor] = await tx
      .select()
      .from(webhookDispatchCursor)
      .where(eq(webhookDispatchCursor.id, CURSOR_ID))
      .for("update", { skipLocked: true });
    if (!cursor) return 0;
    const batch = await readSettledEventsAfter(tx, { txid: String(cursor.txid), position: Number(cursor.position) }, limit);
    if (batch.length === 0) return 0;
    const targets = await listDispatchTargets(tx, { enabledOnly: true });
    const rows = batch.flatMap((event) =>
      targets
        .filter((target) => wants(target, event) && target.createdAt.getTime() <= new Date(event.created_at).getTime())
        .map((target) => deliveryRow(target.id, event, now)),
    );
    await insertDeliveries(tx, rows);
    const last = batch.at(-1)!.feed;
    await tx
      .update(webhookDispatchCursor)
      .set({ txid: last.txid, position: last.position, updatedAt: now })
      .where(eq(webhookDispatchCursor.id, CURSOR_ID));
    return batch.length;
  });
}

async function insertDeliveries(db: Db, rows: DeliveryInsert[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await db.insert(webhookDeliveries).values(rows.slice(i, i + 500)).onConflictDoNothing();
  }
  await promoteQueuesOf(db, rows.filter((r) => r.priority === 0));
}

/**
 * Priority inheritance: a deprovisioning delivery waits for earlier deliveries about the same
 * resource, so those join the priority lane too. Otherwise "user created" stuck behind a bulk
 * import would hold back that user's deletion.
 */
async function promoteQueuesOf(db: Db, urgent: DeliveryInsert[]): Promise<void> {
  for (let i = 0; i < urgent.length; i += 500) {
    const pairs = urgent.slice(i, i + 500).map((r) => sql`(${r.endpointId}, ${r.resourceKey})`);
    // Raw SQL: drizzle has no UPDATE ... FROM (VALUES ...).
    await db.execute(sql`
      update webhook_deliveries d set priority = 0
      from (values ${sql.join(pairs, sql`, `)}) as v(endpoint_id, resource_key)
      where d.endpoint_id = v.endpoint_id and d.resource_key = v.resource_key
        and d.state = 'pending' and d.priority <> 0`);
  }
}

/**
 * Makes the given events due again for one endpoint: a new delivery where there was none, and a
 * reset (pending, attempts 0, due now) where one was delivered or failed. A pending one is left as
 * it is. Returns how many were scheduled.
 */
export async function scheduleDeliveries(db: Db, endpointId: string, batch: FeedEvent[], now: Date): Promise<number> {
  if (batch.length === 0) return 0;
  const t = webhookDeliveries;
  const rows = batch.map((event) => deliveryRow(endpointId, event, now));
  let scheduled = 0;
  for (let i = 0; i < rows.length; i += 500) {
    const done = await db
      .insert(t)
      .values(rows.slice(i, i + 500))
      .onConflictDoUpdate({
        target: [t.endpointId, t.eventId],
        set: { state: "pending", attempts: 0, nextAttemptAt: now, lockedUntil: null, claimToken: null, updatedAt: now },
        setWhere: ne(t.state, "pending"),
      })
      .returning({ id: t.id });
    scheduled += done.length;
  }
  await promoteQueuesOf(db, rows.filter((r) => r.priority === 0));
  return scheduled;
}

/**
 * Replays every settled event after `after` that the endpoint's filters select, up to where the
 * dispatcher has reached (later ones it dispatches itself). Returns how many were scheduled.
 */
export async function replayEvents(db: Db, endpointId: string, after: FeedPosition, now: Date): Promise<number> {
  const [target] = await listDispatchTargets(db, { id: endpointId, enabledOnly: false });
  if (!target) return 0;
  const until = await readDispatchCursor(db);
  let position = after;
  let scheduled = 0;
  for (;;) {
    const batch = await readSettledEventsAfter(db, position, 1000, until);
    if (batch.length === 0) return scheduled;
    scheduled += await scheduleDeliveries(
      db,
      endpointId,
      batch.filter((event) => wants(target, event)),
      now,
    );
    position = batch.at(-1)!.feed;
  }
}
