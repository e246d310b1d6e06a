// Setup links and portal sessions. A link is single-use and short-lived; redeeming it starts a
// session that sees one organization. Both secrets are stored as SHA-256 hashes. Owns portal_links
// and portal_sessions.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, eq, gt, isNull, lt } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { organizations, portalLinks, portalSessions } from "../db/schema.js";
import { GatewayError } from "../errors.js";
import { newId } from "../model/index.js";

export const LINK_TTL_MS = 5 * 60_000;
export const SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_MAX_MS = 12 * 60 * 60_000;
/** last_seen_at is written at most this often, so browsing does not write on every request. */
const TOUCH_EVERY_MS = 60_000;

const hash = (secret: string) => createHash("sha256").update(secret).digest("hex");
const secret = () => randomBytes(32).toString("base64url");

/** A live portal session, as handlers see it. */
export interface PortalSession {
  id: string;
  organizationId: string;
  csrfToken: string;
  returnUrl: string | null;
  successUrl: string | null;
}

export interface NewLink {
  organizationId: string;
  intent: "dsync";
  returnUrl?: string | undefined;
  successUrl?: string | undefined;
}

/** Creates a setup link; the returned token is the only copy of the secret. */
export async function createPortalLink(db: Db, input: NewLink, now: Date): Promise<{ token: string; expiresAt: Date }> {
  const [organization] = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, input.organizationId));
  if (!organization) {
    throw new GatewayError("invalid_input", `organization not found: ${input.organizationId}`, {
      fields: [{ field: "organization", code: "not_found", message: "no such organization" }],
    });
  }
  const token = secret();
  const expiresAt = new Date(now.getTime() + LINK_TTL_MS);
  await db.insert(portalLinks).values({
    id: newId("portal_link"),
    tokenHash: hash(token),
    organizationId: input.organizationId,
    intent: input.intent,
    returnUrl: input.returnUrl ?? null,
    successUrl: input.successUrl ?? null,
    createdAt: now,
    expiresAt,
  });
  return { token, expiresAt };
}

/** Why a link could not be redeemed, in words for the page the admin sees. */
export type RedeemFailure = "unknown" | "expired" | "used";

/**
 * Redeems a link once: marks it used and starts a session. The update's condition makes two
 * simultaneous redemptions of one link produce one session.
 */
export async function redeemPortalLink(
  db: Db,
  token: string,
  now: Date,
): Promise<{ ok: true; sessionToken: string; session: PortalSession } | { ok: false; reason: RedeemFailure; returnUrl: string | null }> {
  const [link] = await db.select().from(portalLinks).where(eq(portalLinks.tokenHash, hash(token)));
  if (!link) return { ok: false, reason: "unknown", returnUrl: null };
  if (link.usedAt) return { ok: false, reason: "used", returnUrl: link.returnUrl };
  if (link.expiresAt <= now) return { ok: false, reason: "expired", returnUrl: link.returnUrl };
  const claimed = await db
    .update(portalLinks)
    .set({ usedAt: now })
    .where(and(eq(portalLinks.id, link.id), isNull(portalLinks.usedAt)))
    .returning({ id: portalLinks.id });
  if (claimed.length === 0) return { ok: false, reason: "used", returnUrl: link.returnUrl };

  const sessionToken = secret();
  const session: PortalSession = {
    id: newId("portal_session"),
    organizationId: link.organizationId,
    csrfToken: secret(),
    returnUrl: link.returnUrl,
    successUrl: link.successUrl,
  };
  await db.insert(portalSessions).values({
    ...session,
    tokenHash: hash(sessionToken),
    linkId: link.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + SESSION_MAX_MS),
  });
  return { ok: true, sessionToken, session };
}

/** The session behind a cookie value, if it is neither idle too long nor past its lifetime. */
export async function readPortalSession(db: Db, token: string, now: Date): Promise<PortalSession | null> {
  const [row] = await db
    .select()
    .from(portalSessions)
    .where(and(eq(portalSessions.tokenHash, hash(token)), gt(portalSessions.expiresAt, now), gt(portalSessions.lastSeenAt, new Date(now.getTime() - SESSION_IDLE_MS))));
  if (!row) return null;
  if (now.getTime() - row.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    await db.update(portalSessions).set({ lastSeenAt: now }).where(eq(portalSessions.id, row.id));
  }
  return { id: row.id, organizationId: row.organizationId, csrfToken: row.csrfToken, returnUrl: row.returnUrl, successUrl: row.successUrl };
}

export async function endPortalSession(db: Db, sessionId: string): Promise<void> {
  await db.delete(portalSessions).where(eq(portalSessions.id, sessionId));
}

/** Deletes expired links and sessions; cheap enough to run on every link creation. */
export async function pruneExpired(db: Db, now: Date): Promise<void> {
  await db.delete(portalLinks).where(lt(portalLinks.expiresAt, new Date(now.getTime() - 24 * 60 * 60_000)));
  await db.delete(portalSessions).where(lt(portalSessions.expiresAt, now));
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: PortalSession, submitted: unknown): boolean {
  if (typeof submitted !== "string") return false;
  const a = Buffer.from(hash(submitted));
  const b = Buffer.from(hash(session.csrfToken));
  return timingSafeEqual(a, b);
}
