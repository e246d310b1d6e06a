// Per-directory SCIM bearer tokens: generated here, shown once, stored as SHA-256 hashes. Owns the
// scim_tokens table. A rotation replaces the hash, so the old token stops working at once (in other
// processes within the token cache's TTL, see token-cache.ts).
import { hash, randomBytes, timingSafeEqual } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { directories, scimTokens } from "../db/schema.js";
import { tokenCacheOf, type ScimPrincipal } from "./token-cache.js";

export type { ScimPrincipal } from "./token-cache.js";

// One-shot hash: a Hash object per request cost more than the digest of a 50-character token.
const hashToken = (token: string) => hash("sha256", token, "hex");

/** Creates or replaces the directory's token and returns it; only its hash is kept. */
export async function issueScimToken(db: Db, directoryId: string, now: Date): Promise<string> {
  const token = `scim_${randomBytes(32).toString("base64url")}`;
  const tokenHash = hashToken(token);
  await db
    .insert(scimTokens)
    .values({ directoryId, tokenHash, createdAt: now })
    .onConflictDoUpdate({ target: scimTokens.directoryId, set: { tokenHash, createdAt: now } });
  tokenCacheOf(db).forget(directoryId);
  return token;
}

/**
 * Checks `token` against the directory's current token. `directory` is set whenever the directory has
 * a SCIM token at all (so a rejected request can still appear in its request log); `authenticated`
 * only when the token matches. A token verified less than a second ago is answered from memory.
 */
export async function checkScimToken(
  db: Db,
  directoryId: string,
  token: string,
): Promise<{ directory: ScimPrincipal | null; authenticated: boolean }> {
  const presented = hashToken(token);
  const cache = tokenCacheOf(db);
  // Looked up by the hash of what was presented: timing can tell nothing about the stored hash.
  const cached = cache.get(directoryId, presented);
  if (cached) return { directory: cached, authenticated: true };
  // Concurrent requests with the same token share one check (they all miss when an entry expires).
  return cache.checkOnce(directoryId, presented, () => verifyToken(db, directoryId, presented));
}

async function verifyToken(db: Db, directoryId: string, presented: string): Promise<{ directory: ScimPrincipal | null; authenticated: boolean }> {
  const [row] = await db
    .select({ organizationId: directories.organizationId, state: directories.state, tokenHash: scimTokens.tokenHash })
    .from(scimTokens)
    .innerJoin(directories, eq(directories.id, scimTokens.directoryId))
    .where(eq(scimTokens.directoryId, directoryId));
  if (!row) return { directory: null, authenticated: false };
  // Compare digests in constant time, so response timing says nothing about the stored hash.
  const authenticated = timingSafeEqual(Buffer.from(presented), Buffer.from(row.tokenHash));
  const directory = { scope: { organizationId: row.organizationId, directoryId }, state: row.state };
  return { directory, authenticated };
}

/** Keeps the cached principal's state in step after the SCIM server changed it (e.g. linked). */
export function noteDirectoryState(db: Db, directoryId: string, state: string): void {
  tokenCacheOf(db).setState(directoryId, state);
}

/** Forgets a deleted directory's verified token, so its next request is refused at once. */
export function forgetScimDirectory(db: Db, directoryId: string): void {
  tokenCacheOf(db).forget(directoryId);
}
