// Sending claimed deliveries: sign, POST, and record the attempts (each delivery's next state, the
// log rows, the endpoints' health). Owns the writes to webhook_deliveries after a claim, and
// webhook_attempts. Never runs an HTTP call inside a transaction.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { webhookAttempts } from "../db/schema.js";
import type { Deps } from "../deps.js";
import { newId } from "../model/index.js";
import { getEventsByIds } from "../sync/index.js";
import type { ClaimedDelivery } from "./claim.js";
import { loadSigningEndpoints, recordEndpointOutcome, type AttemptOutcomes, type DisablePolicy } from "./endpoints.js";
import { postWebhook, type PostResult } from "./post.js";
import { signDelivery, webhookBody } from "./signing.js";

const BASE_DELAY_MS = 10_000;
const MAX_DELAY_MS = 12 * 60 * 60 * 1000;

/**
 * When to try again after `attempts` failed attempts: 10 s doubling up to a 12 h cap, each delay
 * scaled by a random factor in [0.75, 1.25) so receivers recovering from an outage are not hit by
 * every retry at once. With the default 18 attempts the last falls about three days after the first.
 */
export function nextAttemptAt(attempts: number, now: Date, random: () => number = Math.random): Date {
  const delay = Math.min(BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
  return new Date(now.getTime() + Math.round(delay * (0.75 + random() * 0.5)));
}

/** The delivery settings the worker uses, from Config. */
export interface DeliverySettings {
  timeoutMs: number;
  maxAttempts: number;
  allowPrivate: boolean;
  disable: DisablePolicy;
}

export function deliverySettings(config: Deps["config"]): DeliverySettings {
  return {
    timeoutMs: config.DSYNC_WEBHOOK_TIMEOUT_MS,
    maxAttempts: config.DSYNC_WEBHOOK_MAX_ATTEMPTS,
    allowPrivate: config.DSYNC_ALLOW_PRIVATE_WEBHOOKS,
    disable: { afterFailures: config.DSYNC_WEBHOOK_DISABLE_AFTER_FAILURES, afterMs: config.DSYNC_WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000 },
  };
}

/** Sends every claimed delivery concurrently and records each attempt as it completes. */
export async function deliverClaimed(deps: Deps, claimed: ClaimedDelivery[], settings: DeliverySettings): Promise<void> {
  if (claimed.length === 0) return;
  const { db, clock } = deps;
  const events = await getEventsByIds(db, claimed.map((c) => c.eventId));
  const endpoints = await loadSigningEndpoints(db, deps.encryptionKey, claimed.map((c) => c.endpointId), clock.now());
  const recorder = new AttemptRecorder(db, settings, clock);
  await Promise.all(
    claimed.map(async (delivery) => {
      const log = deps.log.child({ deliveryId: delivery.id, eventId: delivery.eventId, attempt: delivery.attempts + 1 });
      const event = events.get(delivery.eventId);
      const endpoint = endpoints.get(delivery.endpointId);
      if (!endpoint) return; // deleted meanwhile; its deliveries went with it
      let result: PostResult;
      if (!event) {
        result = { status: null, latencyMs: 0, snippet: null, error: "event not found" };
      } else {
        const body = webhookBody(event);
        const headers = signDelivery({
          messageId: event.id,
          body,
          timestamp: clock.now(),
          secrets: endpoint.secrets,
          workosSignature: endpoint.workosSignature,
        });
        result = await postWebhook(endpoint.url, headers, body, settings).catch((error: unknown) => ({
          status: null,
          latencyMs: 0,
          snippet: null,
          error: error instanceof Error ? error.message : String(error),
        }));
      }
      try {
        const outcome = await recorder.record(delivery, result);
        log.info({ status: result.status, ms: result.latencyMs, outcome, error: result.error ?? undefined }, "webhook attempt");
      } catch (error) {
        // The lease runs out and another claim retries it: at least once, never lost.
        log.error({ err: error }, "recording webhook attempt failed");
      }
    }),
  );
}

/** What became of a delivery after one attempt. */
export type AttemptResult = "delivered" | "retry" | "failed" | "lease_lost";

interface PendingRecord {
  delivery: ClaimedDelivery;
  result: PostResult;
  resolve(outcome: AttemptResult): void;
  reject(error: unknown): void;
}

/**
 * Group commit for attempt records: attempts that finish while a write is running are written
 * together in the next transaction, so a batch of fast answers costs one or two commits, while
 * a slow endpoint never holds back the recording of the others.
 */
class AttemptRecorder {
  private queue: PendingRecord[] = [];
  private flushing = false;

  constructor(
    private readonly db: Db,
    private readonly settings: DeliverySettings,
    private readonly clock: Deps["clock"],
  ) {}

  record(delivery: ClaimedDelivery, result: PostResult): Promise<AttemptResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ delivery, result, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        const outcomes = await recordAttempts(this.db, batch, this.settings, this.clock.now());
        batch.forEach((item, i) => item.resolve(outcomes[i]!));
      } catch (error) {
        batch.forEach((item) => item.reject(error));
      }
    }
    this.flushing = false;
  }
}

/**
 * Records attempts in one transaction: each delivery's next state, the log rows, and each
 * endpoint's failure run. Only a claim's holder may write (claim_token), so a worker whose lease
 * ran out and was retaken cannot overwrite the newer claim's outcome.
 */
export async function recordAttempts(
  db: Db,
  items: { delivery: ClaimedDelivery; result: PostResult }[],
  settings: DeliverySettings,
  now: Date,
  random: () => number = Math.random,
): Promise<AttemptResult[]> {
  const decided = items.map(({ delivery, result }) => {
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const attempts = delivery.attempts + 1;
    const exhausted = !ok && attempts >= settings.maxAttempts;
    const next = ok || exhausted ? null : nextAttemptAt(attempts, now, random);
    const state = ok ? "delivered" : exhausted ? "failed" : "pending";
    const outcome: AttemptResult = ok ? "delivered" : exhausted ? "failed" : "retry";
    return { delivery, result, ok, attempts, next, state, outcome };
  });
  const at = (d: Date | null) => (d ? sql`${d.toISOString()}::timestamptz` : sql`null::timestamptz`);
  return db.transaction(async (tx) => {
    // Raw SQL: one UPDATE ... FROM (VALUES ...) for the whole group, which drizzle cannot express.
    const values = decided.map(
      (d) =>
        sql`(${d.delivery.id}, ${d.delivery.claimToken}, ${d.state}::text, ${d.attempts}::int, ${d.result.status}::int, ${at(d.next)}, ${at(d.ok ? now : null)})`,
    );
    const updated = await tx.execute(sql`
      update webhook_deliveries d
      set state = v.state, attempts = v.attempts, last_status = v.status, locked_until = null, claim_token = null,
          updated_at = ${at(now)},
          next_attempt_at = coalesce(v.next_at, d.next_attempt_at),
          delivered_at = coalesce(v.delivered_at, d.delivered_at)
      from (values ${sql.join(values, sql`, `)}) as v(id, token, state, attempts, status, next_at, delivered_at)
      where d.id = v.id and d.claim_token = v.token
      returning d.id`);
    const held = new Set(rowsOf(updated).map((r) => String(r.id)));
    const recorded = decided.filter((d) => held.has(d.delivery.id));
    if (recorded.length > 0) {
      await tx.insert(webhookAttempts).values(
        recorded.map((d) => ({
          id: newId("webhook_attempt"),
          deliveryId: d.delivery.id,
          endpointId: d.delivery.endpointId,
          eventId: d.delivery.eventId,
          attempt: d.attempts,
          attemptedAt: now,
          statusCode: d.result.status,
          latencyMs: d.result.latencyMs,
          responseSnippet: d.result.snippet,
          error: d.result.error,
          nextAttemptAt: d.next,
        })),
      );
    }
    const byEndpoint = new Map<string, AttemptOutcomes>();
    for (const d of recorded) {
      const o = byEndpoint.get(d.delivery.endpointId) ?? { successes: 0, failures: 0, gone: false };
      if (d.ok) o.successes += 1;
      else o.failures += 1;
      if (d.result.status === 410) o.gone = true;
      byEndpoint.set(d.delivery.endpointId, o);
    }
    // Sorted, so two workers updating the same endpoints take their row locks in the same order.
    for (const id of [...byEndpoint.keys()].sort()) await recordEndpointOutcome(tx, id, byEndpoint.get(id)!, settings.disable, now);
    return decided.map((d) => (held.has(d.delivery.id) ? d.outcome : "lease_lost"));
  });
}

/** postgres.js returns the rows as an array; PGlite returns { rows }. */
function rowsOf(result: unknown): Record<string, unknown>[] {
  return (Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows) as Record<string, unknown>[];
}
