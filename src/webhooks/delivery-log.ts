// The per-endpoint delivery log: every attempt, newest first by default, with the delivery's state.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { fetchPage, type Keyset, type PageRequest } from "../db/paginate.js";
import { webhookAttempts, webhookDeliveries } from "../db/schema.js";
import type { Page } from "../sync/index.js";

/** One attempt as the REST API shows it. */
export interface DeliveryAttempt {
  object: "webhook_delivery_attempt";
  id: string;
  delivery_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  attempted_at: string;
  /** null when no response came: timeout, connection refused, refused address. */
  status_code: number | null;
  latency_ms: number;
  /** The first 1,000 characters of the response body. */
  response_snippet: string | null;
  error: string | null;
  /** When the retry after this attempt is due; null if it was the last. */
  next_attempt_at: string | null;
  /** The delivery's state now: pending, delivered or failed. */
  delivery_state: string;
}

const keyset: Keyset = {
  greater: (c) => sql`${webhookAttempts.id} > ${c}`,
  less: (c) => sql`${webhookAttempts.id} < ${c}`,
  ascending: [sql`${webhookAttempts.id} asc`],
  descending: [sql`${webhookAttempts.id} desc`],
};

export async function listDeliveryAttempts(
  db: Db,
  endpointId: string,
  filter: { eventId?: string | undefined },
  request: PageRequest,
): Promise<Page<DeliveryAttempt>> {
  const { rows, list_metadata } = await fetchPage(request, keyset, (cursor, orderBy, limit) =>
    db
      .select({ attempt: webhookAttempts, eventType: webhookDeliveries.eventType, state: webhookDeliveries.state })
      .from(webhookAttempts)
      .innerJoin(webhookDeliveries, eq(webhookDeliveries.id, webhookAttempts.deliveryId))
      .where(and(eq(webhookAttempts.endpointId, endpointId), filter.eventId ? eq(webhookAttempts.eventId, filter.eventId) : undefined, cursor))
      .orderBy(...orderBy)
      .limit(limit)
      .then((found) => found.map((r) => ({ ...r, id: r.attempt.id }))),
  );
  return {
    data: rows.map(({ attempt: a, eventType, state }) => ({
      object: "webhook_delivery_attempt",
      id: a.id,
      delivery_id: a.deliveryId,
      event_id: a.eventId,
      event_type: eventType,
      attempt: a.attempt,
      attempted_at: a.attemptedAt.toISOString(),
      status_code: a.statusCode,
      latency_ms: a.latencyMs,
      response_snippet: a.responseSnippet,
      error: a.error,
      next_attempt_at: a.nextAttemptAt?.toISOString() ?? null,
      delivery_state: state,
    })),
    list_metadata,
  };
}
