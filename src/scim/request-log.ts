// The per-directory SCIM request log (the admin portal's live sync log). Owns scim_requests.
// Entries are buffered and written in batches off the request path; a failed write is logged,
// never surfaced to the IdP. Entries hold method, path, status, timing and error detail: never a
// token or a body.
import { and, asc, desc, eq, gt, lt } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { fetchPage, type Keyset, type PageRequest } from "../db/paginate.js";
import { scimRequests } from "../db/schema.js";
import { insertRows } from "../sync/bulk.js";
import type { Logger } from "../log.js";
import { newId } from "../model/index.js";
import type { DirectoryScope, Page } from "../sync/index.js";

/** One logged request, before it is written. */
export interface ScimRequestEntry {
  scope: DirectoryScope;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  error: string | null;
  at: Date;
}

/** A logged request as the REST API shows it. */
export interface ScimRequestRecord {
  object: "scim_request";
  id: string;
  directory_id: string;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
  error: string | null;
  created_at: string;
}

const MAX_PATH = 1000;
const MAX_ERROR = 1000;

/** Buffers entries and writes them in batches: when `maxBatch` are waiting or after `flushMs`. */
export class ScimRequestLog {
  private buffer: (typeof scimRequests.$inferInsert)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly maxBatch = 200,
    private readonly flushMs = 200,
  ) {}

  record(entry: ScimRequestEntry): void {
    this.buffer.push({
      id: newId("scim_request"),
      directoryId: entry.scope.directoryId,
      organizationId: entry.scope.organizationId,
      method: entry.method,
      path: entry.path.slice(0, MAX_PATH),
      status: entry.status,
      durationMs: Math.round(entry.durationMs),
      error: entry.error?.slice(0, MAX_ERROR) ?? null,
      createdAt: entry.at,
    });
    if (this.buffer.length >= this.maxBatch) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      // A pending flush never keeps the process alive on its own.
      this.timer.unref();
    }
  }

  /** Writes what is buffered; resolves when every earlier write has finished. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length > 0) {
      this.writing = this.writing.then(() =>
        // One JSON parameter for the whole batch (bulk.ts), not nine bind parameters per entry.
        insertRows(this.db, scimRequests, batch)
          .then(() => undefined)
          // Only the cause's message: drizzle's error would repeat every row (paths, filters) in the log.
          .catch((err: unknown) => this.log.error({ error: causeMessage(err), entries: batch.length }, "scim request log write failed")),
      );
    }
    return this.writing;
  }
}

function causeMessage(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

const keyset: Keyset = {
  greater: (c) => gt(scimRequests.id, c),
  less: (c) => lt(scimRequests.id, c),
  ascending: [asc(scimRequests.id)],
  descending: [desc(scimRequests.id)],
};

/** A directory's logged requests, newest first by default (WorkOS list envelope). */
export async function listScimRequests(db: Db, directoryId: string, request: PageRequest): Promise<Page<ScimRequestRecord>> {
  const { rows, list_metadata } = await fetchPage(request, keyset, (cursor, orderBy, limit) =>
    db
      .select()
      .from(scimRequests)
      .where(and(eq(scimRequests.directoryId, directoryId), cursor))
      .orderBy(...orderBy)
      .limit(limit),
  );
  return {
    data: rows.map((row) => ({
      object: "scim_request",
      id: row.id,
      directory_id: row.directoryId,
      method: row.method,
      path: row.path,
      status: row.status,
      duration_ms: row.durationMs,
      error: row.error,
      created_at: row.createdAt.toISOString(),
    })),
    list_metadata,
  };
}
