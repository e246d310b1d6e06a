// Webhook endpoints: create, read, update, delete, rotate the secret. Owns webhook_endpoints.
// The secret is stored encrypted and leaves this module in plaintext only to the caller that
// created or rotated it (shown once) and to the signer.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { fetchPage, type Keyset, type PageRequest } from "../db/paginate.js";
import { webhookEndpoints } from "../db/schema.js";
import { decryptSecret, encryptSecret, type EncryptionKey } from "../crypto/secret-box.js";
import { newId, type EventType } from "../model/index.js";
import type { Page } from "../sync/index.js";
import { generateSigningSecret } from "./signing.js";

/** After a rotation the previous secret keeps signing for this long, as Standard Webhooks allows. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

type EndpointRow = typeof webhookEndpoints.$inferSelect;

/** An endpoint as the REST API shows it (never with its secret). */
export interface WebhookEndpoint {
  object: "webhook_endpoint";
  id: string;
  url: string;
  events: EventType[] | null;
  organization_id: string | null;
  enabled: boolean;
  /** "gone" (the receiver answered 410) or "failing" when the gateway disabled it; null otherwise. */
  disabled_reason: string | null;
  workos_signature: boolean;
  consecutive_failures: number;
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

/** What an operator may set on an endpoint. */
export interface EndpointInput {
  url: string;
  events?: EventType[] | null | undefined;
  organization_id?: string | null | undefined;
  enabled?: boolean | undefined;
  workos_signature?: boolean | undefined;
}

// The secret is bound to its endpoint id, so a ciphertext copied to another row does not decrypt.
const secretContext = (endpointId: string) => `webhook_endpoint:${endpointId}`;

export function toWebhookEndpoint(row: EndpointRow): WebhookEndpoint {
  return {
    object: "webhook_endpoint",
    id: row.id,
    url: row.url,
    events: (row.events as EventType[] | null) ?? null,
    organization_id: row.organizationId,
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    workos_signature: row.workosSignature,
    consecutive_failures: row.consecutiveFailures,
    previous_secret_expires_at: row.previousSecretExpiresAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export async function createEndpoint(
  db: Db,
  key: EncryptionKey,
  input: EndpointInput,
  now: Date,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const id = newId("webhook_endpoint");
  const secret = generateSigningSecret();
  const [row] = await db
    .insert(webhookEndpoints)
    .values({
      id,
      url: input.url,
      events: input.events?.length ? input.events : null,
      organizationId: input.organization_id ?? null,
      enabled: input.enabled ?? true,
      workosSignature: input.workos_signature ?? false,
      secretCiphertext: encryptSecret(key, secret, secretContext(id)),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return { endpoint: toWebhookEndpoint(row!), secret };
}

const keyset: Keyset = {
  greater: (c) => sql`${webhookEndpoints.id} > ${c}`,
  less: (c) => sql`${webhookEndpoints.id} < ${c}`,
  ascending: [sql`${webhookEndpoints.id} asc`],
  descending: [sql`${webhookEndpoints.id} desc`],
};

export async function listEndpoints(db: Db, request: PageRequest): Promise<Page<WebhookEndpoint>> {
  const { rows, list_metadata } = await fetchPage(request, keyset, (cursor, orderBy, limit) =>
    db
      .select()
      .from(webhookEndpoints)
      .where(cursor)
      .orderBy(...orderBy)
      .limit(limit),
  );
  return { data: rows.map(toWebhookEndpoint), list_metadata };
}

export async function getEndpoint(db: Db, id: string): Promise<WebhookEndpoint | null> {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  return row ? toWebhookEndpoint(row) : null;
}

/** Applies the given fields. Re-enabling clears the failure run, so the endpoint starts afresh. */
export async function updateEndpoint(db: Db, id: string, patch: Partial<EndpointInput>, now: Date): Promise<WebhookEndpoint | null> {
  const set: Partial<typeof webhookEndpoints.$inferInsert> = { updatedAt: now };
  if (patch.url !== undefined) set.url = patch.url;
  if (patch.events !== undefined) set.events = patch.events?.length ? patch.events : null;
  if (patch.organization_id !== undefined) set.organizationId = patch.organization_id;
  if (patch.workos_signature !== undefined) set.workosSignature = patch.workos_signature;
  if (patch.enabled !== undefined) {
    set.enabled = patch.enabled;
    set.disabledReason = null;
    if (patch.enabled) Object.assign(set, { consecutiveFailures: 0, failingSince: null });
  }
  const [row] = await db.update(webhookEndpoints).set(set).where(eq(webhookEndpoints.id, id)).returning();
  return row ? toWebhookEndpoint(row) : null;
}

export async function deleteEndpoint(db: Db, id: string): Promise<boolean> {
  const rows = await db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning({ id: webhookEndpoints.id });
  return rows.length > 0;
}

/** A new secret; the current one becomes the previous one and keeps signing for ROTATION_OVERLAP_MS. */
export async function rotateSecret(
  db: Db,
  key: EncryptionKey,
  id: string,
  now: Date,
): Promise<{ endpoint: WebhookEndpoint; secret: string } | null> {
  const secret = generateSigningSecret();
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      previousSecretCiphertext: sql`${webhookEndpoints.secretCiphertext}`,
      previousSecretExpiresAt: new Date(now.getTime() + ROTATION_OVERLAP_MS),
      secretCiphertext: encryptSecret(key, secret, secretContext(id)),
      updatedAt: now,
    })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  return row ? { endpoint: toWebhookEndpoint(row), secret } : null;
}

/** What the sender needs to sign and post to one endpoint. */
export interface SigningEndpoint {
  id: string;
  url: string;
  enabled: boolean;
  /** Current secret first, then the previous one while its overlap lasts. */
  secrets: string[];
  workosSignature: boolean;
}

export async function loadSigningEndpoints(db: Db, key: EncryptionKey, ids: string[], now: Date): Promise<Map<string, SigningEndpoint>> {
  const out = new Map<string, SigningEndpoint>();
  for (const id of new Set(ids)) {
    const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    if (!row) continue;
    const secrets = [decryptSecret(key, row.secretCiphertext, secretContext(row.id))];
    if (row.previousSecretCiphertext && row.previousSecretExpiresAt && row.previousSecretExpiresAt > now) {
      secrets.push(decryptSecret(key, row.previousSecretCiphertext, secretContext(row.id)));
    }
    out.set(id, { id: row.id, url: row.url, enabled: row.enabled, secrets, workosSignature: row.workosSignature });
  }
  return out;
}

/** An endpoint as fan-out sees it: which events it wants, and since when. */
export interface DispatchTarget {
  id: string;
  events: string[] | null;
  organizationId: string | null;
  createdAt: Date;
}

export async function listDispatchTargets(db: Db, options: { id?: string; enabledOnly: boolean }): Promise<DispatchTarget[]> {
  return db
    .select({
      id: webhookEndpoints.id,
      events: webhookEndpoints.events,
      organizationId: webhookEndpoints.organizationId,
      createdAt: webhookEndpoints.createdAt,
    })
    .from(webhookEndpoints)
    .where(
      and(
        options.enabledOnly ? eq(webhookEndpoints.enabled, true) : undefined,
        options.id ? eq(webhookEndpoints.id, options.id) : undefined,
      ),
    );
}

/** The outcomes of a group of attempts to one endpoint, as they bear on its health. */
export interface AttemptOutcomes {
  successes: number;
  failures: number;
  /** The endpoint answered 410 Gone. */
  gone: boolean;
}

/** Policy for disabling a failing endpoint. */
export interface DisablePolicy {
  afterFailures: number;
  afterMs: number;
}

/**
 * Tracks the endpoint's run of consecutive failures: a success ends it (failures recorded with it
 * start a new one); 410 Gone disables at once; otherwise the endpoint is disabled once the run is
 * long enough in both count and time, so a burst of failures during a brief outage never disables it.
 */
export async function recordEndpointOutcome(db: Db, id: string, outcome: AttemptOutcomes, policy: DisablePolicy, now: Date): Promise<void> {
  const t = webhookEndpoints;
  const at = (d: Date) => sql`${d.toISOString()}::timestamptz`;
  if (outcome.successes > 0 && outcome.failures === 0 && !outcome.gone) {
    // Only when a run is open, so the usual success takes no row lock on the endpoint.
    await db
      .update(t)
      .set({ consecutiveFailures: 0, failingSince: null })
      .where(and(eq(t.id, id), sql`${t.consecutiveFailures} > 0`));
    return;
  }
  const failures = outcome.successes > 0 ? sql`${outcome.failures}::int` : sql`${t.consecutiveFailures} + ${outcome.failures}::int`;
  const since = outcome.successes > 0 ? at(now) : sql`coalesce(${t.failingSince}, ${at(now)})`;
  const disable = outcome.gone
    ? sql`true`
    : sql`(${failures} >= ${policy.afterFailures}::int and ${since} <= ${at(new Date(now.getTime() - policy.afterMs))})`;
  await db
    .update(t)
    .set({
      consecutiveFailures: sql`${failures}`,
      failingSince: sql`${since}`,
      enabled: sql`case when ${disable} then false else ${t.enabled} end`,
      disabledReason: sql`case when ${t.enabled} and ${disable} then ${outcome.gone ? "gone" : "failing"}::text else ${t.disabledReason} end`,
      updatedAt: sql`case when ${t.enabled} and ${disable} then ${at(now)} else ${t.updatedAt} end`,
    })
    .where(eq(t.id, id));
}
