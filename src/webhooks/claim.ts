// Claiming due deliveries: the one place that decides which delivery a worker sends next.
// Any number of workers may call it at once; none ever holds a delivery another one holds.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.js";

/** A delivery a worker now holds until `lockedUntil`; `claimToken` proves the hold when recording. */
export interface ClaimedDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  attempts: number;
  priority: number;
  claimToken: string;
  lockedUntil: Date;
}

/**
 * Claims up to `limit` due deliveries: pending, next attempt reached, no live lease, endpoint
 * enabled, and no earlier pending delivery for the same (endpoint, resource) (per-resource order:
 * a later event waits while an earlier one is retried, without blocking other resources).
 * The deprovisioning lane (priority 0) comes first, then the oldest due.
 *
 * Raw SQL because drizzle cannot express FOR UPDATE OF ... SKIP LOCKED inside an UPDATE's subquery.
 * SKIP LOCKED so two workers never claim the same row; the lease (locked_until) instead of a
 * long-held row lock, so the HTTP call runs outside any transaction and a crashed worker's claims
 * are simply retaken once the lease runs out. The NOT EXISTS probe is one lookup in
 * webhook_deliveries_resource_queue_idx (endpoint_id, resource_key, order_key) WHERE pending.
 */
export async function claimDueDeliveries(
  db: Db,
  options: { now: Date; limit: number; leaseMs: number; claimToken: string },
): Promise<ClaimedDelivery[]> {
  const now = sql`${options.now.toISOString()}::timestamptz`;
  const until = new Date(options.now.getTime() + options.leaseMs);
  const result = await db.execute(sql`
    update webhook_deliveries d
    set locked_until = ${until.toISOString()}::timestamptz, claim_token = ${options.claimToken}
    where d.id in (
      select c.id from webhook_deliveries c
      join webhook_endpoints e on e.id = c.endpoint_id and e.enabled
      where c.state = 'pending'
        and c.next_attempt_at <= ${now}
        and (c.locked_until is null or c.locked_until <= ${now})
        and not exists (
          select 1 from webhook_deliveries earlier
          where earlier.endpoint_id = c.endpoint_id
            and earlier.resource_key = c.resource_key
            and earlier.state = 'pending'
            and earlier.order_key < c.order_key
        )
      order by c.priority, c.next_attempt_at, c.order_key
      limit ${options.limit}
      for update of c skip locked
    )
    returning d.id, d.endpoint_id, d.event_id, d.attempts, d.priority, d.claim_token, d.locked_until`);
  return rowsOf(result).map((row) => ({
    id: String(row.id),
    endpointId: String(row.endpoint_id),
    eventId: String(row.event_id),
    attempts: Number(row.attempts),
    priority: Number(row.priority),
    claimToken: String(row.claim_token),
    lockedUntil: new Date(row.locked_until as string | Date),
  }));
}

/** postgres.js returns the rows as an array; PGlite returns { rows }. */
function rowsOf(result: unknown): Record<string, unknown>[] {
  return (Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows) as Record<string, unknown>[];
}
