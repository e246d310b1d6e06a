// Full snapshots: a connector streams every user, group and membership it sees in batches; rows
// touched get the run's mark, and finish() deletes what the run did not see. Memory stays bounded by
// the batch size whatever the directory's size.
import { monotonicFactory } from "ulid";
import type { CanonicalGroupInput, CanonicalUserInput } from "../model/index.js";
import type { DirectoryWrite } from "./directory-write.js";
import { addMemberships, sweepUnseen, upsertGroups, writeUsers, type Change, type ParsedUsers, type Ref } from "./reconcile.js";
import type { DirectoryScope } from "./scope.js";
import type { WriteOp } from "./write-queue.js";
import { countUnseen, type UnseenPreview } from "./reconcile-preview.js";

/** One membership edge of a snapshot, by IdP ids. */
export interface MembershipEdge {
  group_idp_id: string;
  user_idp_id: string;
}

/**
 * One part of a snapshot batch. Users may be given as a function of the write: parsed ahead, and
 * checked against the mapping read under the directory's lock (pull-sync.ts, UserPreparer).
 */
export type SnapshotPart =
  | { kind: "users"; users: CanonicalUserInput[] | ((w: DirectoryWrite) => ParsedUsers) }
  | { kind: "groups"; groups: CanonicalGroupInput[] }
  | { kind: "memberships"; edges: MembershipEdge[] };

/**
 * Where a snapshot's units of work run: the DirectoryWriter (commit each), or a dry run's single
 * transaction that is rolled back at the end.
 */
export interface WriteRunner {
  run<T>(scope: DirectoryScope, op: WriteOp<T>): Promise<T>;
}

export type { UnseenPreview };

/** What a snapshot run changed, for sync-run records and logs. */
export interface SnapshotCounts {
  users: Record<Change | "deleted", number>;
  groups: Record<Change | "deleted", number>;
  memberships: { added: number; removed: number; missing: number };
}

const nextRunMark = monotonicFactory();
const SWEEP_BATCH = 500;

function emptyCounts(): SnapshotCounts {
  return {
    users: { created: 0, updated: 0, unchanged: 0, deleted: 0 },
    groups: { created: 0, updated: 0, unchanged: 0, deleted: 0 },
    memberships: { added: 0, removed: 0, missing: 0 },
  };
}

export class SnapshotRun {
  readonly mark: string;
  readonly counts: SnapshotCounts = emptyCounts();

  /** `mark` resumes a run whose sweep was held back (a deletion awaiting confirmation). */
  constructor(
    private readonly writer: WriteRunner,
    readonly scope: DirectoryScope,
    mark?: string,
  ) {
    this.mark = mark ?? `run_${nextRunMark()}`;
  }

  /** What finish() would delete, counted (and a sample listed) without deleting anything. */
  unseen(sample = 20): Promise<UnseenPreview> {
    return this.writer.run(this.scope, (w) => countUnseen(w, this.mark, sample));
  }

  async users(batch: CanonicalUserInput[]): Promise<void> {
    await this.apply([{ kind: "users", users: batch }]);
  }

  async groups(batch: CanonicalGroupInput[]): Promise<void> {
    await this.apply([{ kind: "groups", groups: batch }]);
  }

  /** Adds and marks membership edges; edges naming a user or group the snapshot lacks are counted as missing. */
  async memberships(edges: MembershipEdge[]): Promise<void> {
    await this.apply([{ kind: "memberships", edges }]);
  }

  /**
   * Applies several parts in one unit of work, in order: a pull sync gathers a few connector pages
   * into one transaction, so per-transaction costs (lock, sequence, commit) are paid once for them.
   */
  async apply(parts: SnapshotPart[]): Promise<void> {
    // Counted per attempt and added once committed: a unit of work may be run again alone after a
    // shared transaction failed.
    const counts = await this.writer.run(this.scope, async (w) => {
      const counts = emptyCounts();
      for (const part of parts) {
        if (part.kind === "users") {
          const users = typeof part.users === "function" ? part.users(w) : part.users;
          for (const change of await writeUsers(w, users, { mark: this.mark })) counts.users[change] += 1;
        } else if (part.kind === "groups") {
          for (const r of await upsertGroups(w, part.groups, { mark: this.mark })) counts.groups[r.change] += 1;
        } else {
          await this.addEdges(w, part.edges, counts);
        }
      }
      return counts;
    });
    for (const key of ["created", "updated", "unchanged"] as const) {
      this.counts.users[key] += counts.users[key];
      this.counts.groups[key] += counts.groups[key];
    }
    this.counts.memberships.added += counts.memberships.added;
    this.counts.memberships.missing += counts.memberships.missing;
  }

  private async addEdges(w: DirectoryWrite, edges: MembershipEdge[], counts: SnapshotCounts): Promise<void> {
    const byGroup = new Map<string, Ref[]>();
    for (const e of edges) {
      let users = byGroup.get(e.group_idp_id);
      if (!users) byGroup.set(e.group_idp_id, (users = []));
      users.push({ idp_id: e.user_idp_id });
    }
    const changes = [...byGroup].map(([idp_id, users]) => ({ group: { idp_id }, users }));
    const results = await addMemberships(w, changes, { mark: this.mark });
    results.forEach((result, i) => {
      counts.memberships.added += result?.added.length ?? 0;
      counts.memberships.missing += result ? result.missing.length : changes[i]!.users.length;
    });
  }

  /** Deletes, in batches, whatever this run did not see: users, then groups, then memberships. */
  async finish(): Promise<SnapshotCounts> {
    for (;;) {
      const removed = await this.writer.run(this.scope, (w) => sweepUnseen(w, this.mark, SWEEP_BATCH));
      this.counts.users.deleted += removed.users;
      this.counts.groups.deleted += removed.groups;
      this.counts.memberships.removed += removed.memberships;
      if (removed.users + removed.groups + removed.memberships === 0) return this.counts;
    }
  }
}
