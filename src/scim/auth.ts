// Per-directory SCIM bearer tokens: generated here, shown once, stored as SHA-256 hashes. Owns the
// scim_tokens table. A rotation replaces the hash, so the old token stops working at once.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { directories, scimTokens } from "../db/schema.js";
import type { DirectoryScope } from "../sync/index.js";

/** A directory a token authenticates, with its state (to mark it linked on first use). */
export interface ScimPrincipal {
  scope: DirectoryScope;
  state: string;
}

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** Creates or replaces the directory's token and returns it; only its hash is kept. */
export async function issueScimToken(db: Db, directoryId: string, now: Date): Promise<string> {
  const token = `scim_${randomBytes(32).toString("base64url")}`;
  const tokenHash = hashToken(token);
  await db
    .insert(scimTokens)
    .values({ directoryId, tokenHash, createdAt: now })
    .onConflictDoUpdate({ target: scimTokens.directoryId, set: { tokenHash, createdAt: now } });
  return token;
}

/**
 * Checks `token` against the directory's current token. `directory` is set whenever the directory has
 * a SCIM token at all (so a rejected request can still appear in its request log); `authenticated`
 * only when the token matches.
 */
export async function checkScimToken(
  db: Db,
  directoryId: string,
  token: string,
): Promise<{ directory: ScimPrincipal | null; authenticated: boolean }> {
  const [row] = await db
    .select({ organizationId: directories.organizationId, state: directories.state, tokenHash: scimTokens.tokenHash })
    .from(scimTokens)
    .innerJoin(directories, eq(directories.id, scimTokens.directoryId))
    .where(eq(scimTokens.directoryId, directoryId));
  if (!row) return { directory: null, authenticated: false };
  // Compare digests in constant time, so response timing says nothing about the stored hash.
  const authenticated = timingSafeEqual(Buffer.from(hashToken(token)), Buffer.from(row.tokenHash));
  return { directory: { scope: { organizationId: row.organizationId, directoryId }, state: row.state }, authenticated };
}
