// Sync runs (owner of sync_runs): one row per pull-sync run, written as it starts and finishes, and
// read by GET /directories/:id/sync_runs. A run held for confirmation keeps its snapshot mark here.
import { and, asc, desc, eq, gt, lt } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { fetchPage, type Keyset, type PageRequest } from "../db/paginate.js";
import { syncRuns } from "../db/schema.js";
import type { Page } from "./read.js";
import type { DirectoryScope } from "./scope.js";

export type SyncRunRow = typeof syncRuns.$inferSelect;
export type SyncRunStatus = "running" | "succeeded" | "failed" | "needs_confirmation" | "rejected" | "abandoned";
export type SyncRunKind = "full" | "incremental";
export type SyncTrigger = "schedule" | "manual";

/** A sync run as the REST API shows it. */
export interface SyncRun {
  object: "directory_sync_run";
  id: string;
  directory_id: string;
  organization_id: string;
  kind: SyncRunKind;
  trigger: SyncTrigger;
  dry_run: boolean;
  status: SyncRunStatus;
  users_seen: number;
  groups_seen: number;
  created: number;
  updated: number;
  deleted: number;
  counts: Record<string, unknown>;
  errors: { message: string; at: string }[];
  preview: Record<string, unknown> | null;
  started_at: string;
  finished_at: string | null;
}

/** What a finished run reports. */
export interface SyncRunResult {
  status: SyncRunStatus;
  kind: SyncRunKind;
  usersSeen: number;
  groupsSeen: number;
  created: number;
  updated: number;
  deleted: number;
  counts: Record<string, unknown>;
  errors: { message: string; at: string }[];
  preview: Record<string, unknown> | null;
  snapshotMark: string | null;
}

const keyset: Keyset = {
  greater: (c) => gt(syncRuns.id, c),
  less: (c) => lt(syncRuns.id, c),
  ascending: [asc(syncRuns.id)],
  descending: [desc(syncRuns.id)],
};

export function toSyncRun(row: SyncRunRow): SyncRun {
  return {
    object: "directory_sync_run",
    id: row.id,
    directory_id: row.directoryId,
    organization_id: row.organizationId,
    kind: row.kind as SyncRunKind,
    trigger: row.trigger as SyncTrigger,
    dry_run: row.dryRun,
    status: row.status as SyncRunStatus,
    users_seen: row.usersSeen,
    groups_seen: row.groupsSeen,
    created: row.created,
    updated: row.updated,
    deleted: row.deleted,
    counts: row.counts,
    errors: row.errors,
    preview: row.preview ?? null,
    started_at: row.startedAt.toISOString(),
    finished_at: row.finishedAt ? row.finishedAt.toISOString() : null,
  };
}

export async function startSyncRun(
  db: Db,
  scope: DirectoryScope,
  run: { id: string; kind: SyncRunKind; trigger: SyncTrigger; dryRun: boolean },
  now: Date,
): Promise<SyncRun> {
  const [row] = await db
    .insert(syncRuns)
    .values({
      id: run.id,
      directoryId: scope.directoryId,
      organizationId: scope.organizationId,
      kind: run.kind,
      trigger: run.trigger,
      dryRun: run.dryRun,
      status: "running",
      startedAt: now,
    })
    .returning();
  return toSyncRun(row!);
}

export async function finishSyncRun(db: Db, runId: string, result: SyncRunResult, now: Date): Promise<SyncRun> {
  const [row] = await db
    .update(syncRuns)
    .set({ ...result, finishedAt: now })
    .where(eq(syncRuns.id, runId))
    .returning();
  return toSyncRun(row!);
}

/** Updates a held run once the operator decided; returns null when it was not awaiting a decision. */
export async function decideSyncRun(
  db: Db,
  runId: string,
  decision: { status: "succeeded" | "rejected"; deleted?: number; counts?: Record<string, unknown> },
  now: Date,
): Promise<SyncRun | null> {
  const [row] = await db
    .update(syncRuns)
    .set({ status: decision.status, ...(decision.deleted !== undefined ? { deleted: decision.deleted } : {}), ...(decision.counts ? { counts: decision.counts } : {}), finishedAt: now })
    .where(and(eq(syncRuns.id, runId), eq(syncRuns.status, "needs_confirmation")))
    .returning();
  return row ? toSyncRun(row) : null;
}

/** Marks a run whose worker died (its lease expired and was taken over). */
export async function abandonSyncRun(db: Db, runId: string, now: Date): Promise<void> {
  await db
    .update(syncRuns)
    .set({ status: "abandoned", finishedAt: now, errors: [{ message: "the worker running this sync stopped; its lease expired and another worker took over", at: now.toISOString() }] })
    .where(and(eq(syncRuns.id, runId), eq(syncRuns.status, "running")));
}

export async function getSyncRunRow(db: Db, scope: DirectoryScope, runId: string): Promise<SyncRunRow | null> {
  const [row] = await db
    .select()
    .from(syncRuns)
    .where(and(eq(syncRuns.id, runId), eq(syncRuns.directoryId, scope.directoryId), eq(syncRuns.organizationId, scope.organizationId)));
  return row ?? null;
}

export async function pendingConfirmation(db: Db, scope: DirectoryScope): Promise<SyncRunRow | null> {
  const [row] = await db
    .select()
    .from(syncRuns)
    .where(and(eq(syncRuns.directoryId, scope.directoryId), eq(syncRuns.status, "needs_confirmation")))
    .limit(1);
  return row ?? null;
}

export async function listSyncRuns(db: Db, scope: DirectoryScope, request: PageRequest): Promise<Page<SyncRun>> {
  const { rows, list_metadata } = await fetchPage(request, keyset, (cursor, orderBy, limit) =>
    db
      .select()
      .from(syncRuns)
      .where(and(eq(syncRuns.directoryId, scope.directoryId), eq(syncRuns.organizationId, scope.organizationId), cursor))
      .orderBy(...orderBy)
      .limit(limit),
  );
  return { data: rows.map(toSyncRun), list_metadata };
}
