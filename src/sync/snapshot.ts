// Full snapshots: a connector streams every user, group and membership it sees in batches; rows
// touched get the run's mark, and finish() deletes what the run did not see. Memory stays bounded by
// the batch size whatever the directory's size.
import { monotonicFactory } from "ulid";
import { GatewayError } from "../errors.js";
import type { CanonicalGroupInput, CanonicalUserInput } from "../model/index.js";
import { addGroupMembers, sweepUnseen, upsertGroups, upsertUsers, type Change } from "./reconcile.js";
import type { DirectoryScope } from "./scope.js";
import type { WriteOp } from "./write-queue.js";
import { countUnseen, type UnseenPreview } from "./reconcile-preview.js";

/** One membership edge of a snapshot, by IdP ids. */
export interface MembershipEdge {
  group_idp_id: string;
  user_idp_id: string;
}

/** What a snapshot run changed, for sync-run records and logs. */
/**
 * Where a snapshot's units of work run: the DirectoryWriter (commit each), or a dry run's single
 * transaction that is rolled back at the end.
 */
export interface WriteRunner {
  run<T>(scope: DirectoryScope, op: WriteOp<T>): Promise<T>;
}

export type { UnseenPreview };

export interface SnapshotCounts {
  users: Record<Change | "deleted", number>;
  groups: Record<Change | "deleted", number>;
  memberships: { added: number; removed: number; missing: number };
}

const nextRunMark = monotonicFactory();
const SWEEP_BATCH = 500;

export class SnapshotRun {
  readonly mark: string;
  readonly counts: SnapshotCounts = {
    users: { created: 0, updated: 0, unchanged: 0, deleted: 0 },
    groups: { created: 0, updated: 0, unchanged: 0, deleted: 0 },
    memberships: { added: 0, removed: 0, missing: 0 },
  };

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
    const results = await this.writer.run(this.scope, (w) => upsertUsers(w, batch, { mark: this.mark }));
    for (const r of results) this.counts.users[r.change] += 1;
  }

  async groups(batch: CanonicalGroupInput[]): Promise<void> {
    const results = await this.writer.run(this.scope, (w) => upsertGroups(w, batch, { mark: this.mark }));
    for (const r of results) this.counts.groups[r.change] += 1;
  }

  /** Adds and marks membership edges; edges naming a user or group the snapshot lacks are counted as missing. */
  async memberships(edges: MembershipEdge[]): Promise<void> {
    const byGroup = new Map<string, string[]>();
    for (const e of edges) byGroup.set(e.group_idp_id, [...(byGroup.get(e.group_idp_id) ?? []), e.user_idp_id]);
    const { added, missing } = await this.writer.run(this.scope, async (w) => {
      let added = 0;
      let missing = 0;
      for (const [groupIdpId, userIdpIds] of byGroup) {
        try {
          const result = await addGroupMembers(w, { idp_id: groupIdpId }, userIdpIds.map((idp_id) => ({ idp_id })), { mark: this.mark });
          added += result.added.length;
          missing += result.missing.length;
        } catch (error) {
          if (!(error instanceof GatewayError && error.code === "not_found")) throw error;
          missing += userIdpIds.length;
        }
      }
      return { added, missing };
    });
    this.counts.memberships.added += added;
    this.counts.memberships.missing += missing;
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
