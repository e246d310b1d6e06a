// Pull directories' connection state (owner of pull_directories): encrypted credentials, settings,
// the saved delta cursor, the schedule, and the lease that gives one worker at a time the right to
// sync a directory. Credentials are decrypted only to build a connector; never returned or logged.
import { and, eq, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import { decryptSecret, encryptSecret, type EncryptionKey } from "../crypto/secret-box.js";
import type { Db } from "../db/client.js";
import { directories, pullDirectories, syncRuns } from "../db/schema.js";
import type { DirectoryScope } from "./scope.js";

export type PullDirectoryRow = typeof pullDirectories.$inferSelect;

/** Binds a ciphertext to its directory, so a copied credential fails to decrypt elsewhere. */
const credentialsContext = (directoryId: string) => `pull_directories.credentials:${directoryId}`;

export function sealCredentials(key: EncryptionKey, directoryId: string, credentials: unknown): string {
  return encryptSecret(key, JSON.stringify(credentials), credentialsContext(directoryId));
}

export function openCredentials(key: EncryptionKey, row: PullDirectoryRow): unknown {
  if (!row.credentialsCiphertext) return null;
  return JSON.parse(decryptSecret(key, row.credentialsCiphertext, credentialsContext(row.directoryId)));
}

export async function savePullDirectory(
  db: Db,
  scope: DirectoryScope,
  values: { credentialsCiphertext: string | null; settings: Record<string, unknown>; stateReason: string | null },
  now: Date,
): Promise<void> {
  await db
    .insert(pullDirectories)
    .values({ directoryId: scope.directoryId, organizationId: scope.organizationId, ...values, connectionSavedAt: now, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: pullDirectories.directoryId, set: { ...values, cursor: null, connectionSavedAt: now, updatedAt: now } });
}

export async function readPullDirectory(db: Db, directoryId: string): Promise<PullDirectoryRow | null> {
  const [row] = await db.select().from(pullDirectories).where(eq(pullDirectories.directoryId, directoryId));
  return row ?? null;
}

export async function setStateReason(db: Db, directoryId: string, reason: string | null, now: Date): Promise<void> {
  await db.update(pullDirectories).set({ stateReason: reason, updatedAt: now }).where(eq(pullDirectories.directoryId, directoryId));
}

/** A lease taken; `previousRunId` names the run whose holder let its lease expire (it died). */
export interface SyncLease {
  holder: string;
  runId: string;
  previousRunId: string | null;
}

/**
 * Takes the directory's sync lease if nobody holds a live one. The row is locked (FOR UPDATE) for
 * the check, so of two workers racing for it exactly one wins; times come from the caller's clock.
 */
export async function acquireSyncLease(db: Db, directoryId: string, holder: string, runId: string, now: Date, ttlMs: number): Promise<SyncLease | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(pullDirectories).where(eq(pullDirectories.directoryId, directoryId)).for("update");
    if (!row) return null;
    if (row.leaseHolder && row.leaseExpiresAt && row.leaseExpiresAt > now) return null;
    await tx
      .update(pullDirectories)
      .set({ leaseHolder: holder, leaseRunId: runId, leaseExpiresAt: new Date(now.getTime() + ttlMs) })
      .where(eq(pullDirectories.directoryId, directoryId));
    return { holder, runId, previousRunId: row.leaseHolder ? row.leaseRunId : null };
  });
}

/**
 * Extends a lease this holder still owns; false means it was lost (expired and taken over).
 * `db` may be a transaction: a dry run renews inside its own (PGlite has one connection).
 */
export async function renewSyncLease(db: Db, directoryId: string, lease: SyncLease, now: Date, ttlMs: number): Promise<boolean> {
  const rows = await db
    .update(pullDirectories)
    .set({ leaseExpiresAt: new Date(now.getTime() + ttlMs) })
    .where(and(eq(pullDirectories.directoryId, directoryId), eq(pullDirectories.leaseHolder, lease.holder), eq(pullDirectories.leaseRunId, lease.runId)))
    .returning({ id: pullDirectories.directoryId });
  return rows.length > 0;
}

/** Gives the lease back, saving the cursor and next due times the run decided on. */
export async function releaseSyncLease(
  db: Db,
  directoryId: string,
  lease: SyncLease,
  update: { cursor?: string | null; nextIncrementalAt?: Date; nextFullAt?: Date },
  now: Date,
): Promise<void> {
  await db
    .update(pullDirectories)
    .set({ ...update, leaseHolder: null, leaseRunId: null, leaseExpiresAt: null, updatedAt: now })
    .where(and(eq(pullDirectories.directoryId, directoryId), eq(pullDirectories.leaseHolder, lease.holder), eq(pullDirectories.leaseRunId, lease.runId)));
}

/** A directory whose scheduled run is due. */
export interface DueDirectory {
  scope: DirectoryScope;
  type: string;
  full: boolean;
}

/**
 * Linked pull directories with credentials whose incremental or full run is due, not leased by a
 * live holder, and not waiting for an operator to confirm a held deletion.
 */
export async function listDueDirectories(db: Db, now: Date, limit: number): Promise<DueDirectory[]> {
  const rows = await db
    .select({
      directoryId: pullDirectories.directoryId,
      organizationId: pullDirectories.organizationId,
      type: directories.type,
      cursor: pullDirectories.cursor,
      nextFullAt: pullDirectories.nextFullAt,
    })
    .from(pullDirectories)
    .innerJoin(directories, eq(directories.id, pullDirectories.directoryId))
    .where(
      and(
        eq(directories.state, "linked"),
        isNotNull(pullDirectories.credentialsCiphertext),
        or(isNull(pullDirectories.nextIncrementalAt), lte(pullDirectories.nextIncrementalAt, now), lte(pullDirectories.nextFullAt, now)),
        or(isNull(pullDirectories.leaseExpiresAt), lte(pullDirectories.leaseExpiresAt, now)),
        sql`not exists (select 1 from ${syncRuns} where ${syncRuns.directoryId} = ${pullDirectories.directoryId} and ${syncRuns.status} = 'needs_confirmation')`,
      ),
    )
    .orderBy(pullDirectories.nextIncrementalAt)
    .limit(limit);
  return rows.map((r) => ({
    scope: { organizationId: r.organizationId, directoryId: r.directoryId },
    type: r.type,
    full: !r.cursor || !r.nextFullAt || r.nextFullAt <= now,
  }));
}
