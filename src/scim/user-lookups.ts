// Coalesces concurrent `userName eq "…"` lookups on one directory into one query. IdPs look a user up
// by userName before they create or change it (Okta, Entra, OneLogin), so under many concurrent
// clients this is the hot read: while one query runs, the lookups that arrive gather for the next.
// Each lookup gets exactly what the plain list query would have returned, and never joins a query
// already running, so it sees every write that was answered before it arrived.
import type { Db } from "../db/client.js";
import type { DirectoryScope } from "../sync/index.js";
import { findScimUsersByUserNames, listScimUsers, type ScimUserRow } from "../sync/scim-query.js";

interface Pending {
  userName: string;
  withGroups: boolean;
  resolve(rows: ScimUserRow[]): void;
  reject(error: unknown): void;
}

interface DirectoryQueue {
  scope: DirectoryScope;
  waiting: Pending[];
  running: boolean;
}

/** Most names in one query; more wait for the next. */
const MAX_BATCH = 500;

export class UserNameLookups {
  private readonly queues = new Map<string, DirectoryQueue>();

  constructor(private readonly db: Db) {}

  /** Every user of the directory whose userName equals `userName` ignoring case, ordered by id. */
  find(scope: DirectoryScope, userName: string, withGroups: boolean): Promise<ScimUserRow[]> {
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(scope.directoryId);
      if (!queue) {
        queue = { scope, waiting: [], running: false };
        this.queues.set(scope.directoryId, queue);
      }
      queue.waiting.push({ userName, withGroups, resolve, reject });
      if (!queue.running) void this.drain(queue);
    });
  }

  private async drain(queue: DirectoryQueue): Promise<void> {
    queue.running = true;
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, MAX_BATCH);
      try {
        await this.answer(queue.scope, batch);
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    queue.running = false;
    this.queues.delete(queue.scope.directoryId);
  }

  private async answer(scope: DirectoryScope, batch: Pending[]): Promise<void> {
    const withGroups = batch.some((p) => p.withGroups);
    const rows = await findScimUsersByUserNames(this.db, scope, [...new Set(batch.map((p) => p.userName))], withGroups);
    const byKey = new Map<string, ScimUserRow[]>();
    for (const { key, ...row } of rows) byKey.set(key, [...(byKey.get(key) ?? []), row]);
    const claimed = new Set<string>();
    const unanswered: Pending[] = [];
    for (const pending of batch) {
      const key = pending.userName.toLowerCase();
      const found = byKey.get(key);
      if (found) claimed.add(key);
      if (found || byKey.size === 0) pending.resolve(found ?? []);
      else unanswered.push(pending);
    }
    // A row no name claimed means Postgres lower-cased some name unlike JavaScript (rare Unicode):
    // the lookups that found nothing ask again on their own, so none misses its user.
    const unclaimed = [...byKey.keys()].some((key) => !claimed.has(key));
    for (const pending of unanswered) {
      if (!unclaimed) pending.resolve([]);
      else pending.resolve((await listScimUsers(this.db, scope, userNameEq(pending.userName), { startIndex: 1, count: Number.MAX_SAFE_INTEGER }, withGroups)).rows);
    }
  }
}

function userNameEq(userName: string) {
  return { kind: "compare" as const, attr: { uri: null, name: "userName", sub: null }, op: "eq" as const, value: userName };
}
