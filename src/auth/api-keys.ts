// Operator API keys: generated here, shown once, stored as SHA-256 hashes. Owns the api_keys table.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { count, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { apiKeys } from "../db/schema.js";
import { newId } from "../model/index.js";

/** A freshly created key: `key` exists only in this value and is never stored. */
export interface CreatedApiKey {
  id: string;
  name: string;
  key: string;
}

const hashKey = (key: string) => createHash("sha256").update(key).digest("hex");

export async function createApiKey(db: Db, name: string, now: Date): Promise<CreatedApiKey> {
  const key = `sk_${randomBytes(32).toString("base64url")}`;
  const id = newId("api_key");
  await db.insert(apiKeys).values({ id, name, keyHash: hashKey(key), lastFour: key.slice(-4), createdAt: now });
  return { id, name, key };
}

/**
 * Creates the first operator key when none exists yet, and returns it so it can be printed once.
 * The advisory lock keeps two processes starting together from both minting one.
 */
export async function ensureInitialApiKey(db: Db, now: Date): Promise<CreatedApiKey | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('dsync:initial-api-key', 0))`);
    const [row] = await tx.select({ n: count() }).from(apiKeys);
    if (row && row.n > 0) return null;
    return createApiKey(tx, "initial", now);
  });
}

/** True when `presented` is a stored operator key or equals the configured DSYNC_API_KEY. */
export async function isOperatorKey(db: Db, presented: string, configuredKey: string | undefined): Promise<boolean> {
  const presentedHash = hashKey(presented);
  // Compare digests, not strings, so the comparison takes the same time whatever the input.
  if (configuredKey && timingSafeEqual(Buffer.from(presentedHash), Buffer.from(hashKey(configuredKey)))) return true;
  const [row] = await db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.keyHash, presentedHash));
  return Boolean(row);
}
