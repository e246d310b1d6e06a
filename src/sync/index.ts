// sync's public face: the Reconciler (every write to users, groups, memberships and events goes
// through it) and the read functions for the API.
import type { Db } from "../db/client.js";
import type { CanonicalGroupInput, CanonicalUserInput, DirectoryState } from "../model/index.js";
import * as ops from "./reconcile.js";
import { SnapshotRun, type MembershipEdge, type SnapshotCounts } from "./snapshot.js";
import type { DirectoryScope } from "./scope.js";
import { DirectoryWriter, type BatchedWrite, type Clock, type WriteOp, type WriterOptions } from "./write-queue.js";

export type { DirectoryScope, Access } from "./scope.js";
export { OPERATOR } from "./scope.js";
export type { Ref, Change, UserResult, GroupResult, MembershipResult } from "./reconcile.js";
export type { BatchedWrite, Clock, WriteOp, WriterOptions } from "./write-queue.js";
export type { DirectoryWrite } from "./directory-write.js";
export { ops };
export { SnapshotRun, type MembershipEdge, type SnapshotCounts };
export * from "./read.js";
export * from "./events.js";

/** A whole directory as one in-memory snapshot; pull connectors stream through SnapshotRun instead. */
export interface Snapshot {
  users: CanonicalUserInput[];
  groups: CanonicalGroupInput[];
  memberships: MembershipEdge[];
}

/** The one write path: each call is one unit of work, committed with its events (group commit). */
export class Reconciler {
  private readonly writer: DirectoryWriter;
  private readonly deletionListeners = new Set<(scope: DirectoryScope) => void>();

  constructor(db: Db, clock: Clock, options: WriterOptions = {}) {
    this.writer = new DirectoryWriter(db, clock, options);
  }

  /** Runs several reconcile operations as one unit of work (one transaction, one lock). */
  write<T>(scope: DirectoryScope, op: WriteOp<T>): Promise<T> {
    return this.writer.run(scope, op);
  }

  /** One write of a batched kind: applied in one call with the others of its kind waiting for the directory. */
  writeBatched<I, R, P>(scope: DirectoryScope, kind: BatchedWrite<I, R, P>, input: I): Promise<R> {
    return this.writer.runBatched(scope, kind, input);
  }

  upsertUser(scope: DirectoryScope, user: CanonicalUserInput): Promise<ops.UserResult> {
    return this.write(scope, async (w) => (await ops.upsertUsers(w, [user]))[0]!);
  }

  deactivateUser(scope: DirectoryScope, ref: ops.Ref): Promise<ops.UserResult> {
    return this.write(scope, (w) => ops.deactivateUser(w, ref));
  }

  /** Resolves to false when there was no such user. */
  async deleteUser(scope: DirectoryScope, ref: ops.Ref): Promise<boolean> {
    return (await this.write(scope, (w) => ops.deleteUsers(w, [ref]))).length > 0;
  }

  upsertGroup(scope: DirectoryScope, group: CanonicalGroupInput): Promise<ops.GroupResult> {
    return this.write(scope, async (w) => (await ops.upsertGroups(w, [group]))[0]!);
  }

  async deleteGroup(scope: DirectoryScope, ref: ops.Ref): Promise<boolean> {
    return (await this.write(scope, (w) => ops.deleteGroups(w, [ref]))).length > 0;
  }

  addGroupMembers(scope: DirectoryScope, group: ops.Ref, users: ops.Ref[]): Promise<ops.MembershipResult> {
    return this.write(scope, (w) => ops.addGroupMembers(w, group, users));
  }

  removeGroupMembers(scope: DirectoryScope, group: ops.Ref, users: ops.Ref[]): Promise<ops.MembershipResult> {
    return this.write(scope, (w) => ops.removeGroupMembers(w, group, users));
  }

  replaceGroupMembers(scope: DirectoryScope, group: ops.Ref, users: ops.Ref[]): Promise<ops.MembershipResult> {
    return this.write(scope, (w) => ops.replaceGroupMembers(w, group, users));
  }

  setDirectoryState(scope: DirectoryScope, state: DirectoryState): Promise<void> {
    return this.write(scope, (w) => ops.setDirectoryState(w, state));
  }

  async deleteDirectory(scope: DirectoryScope): Promise<void> {
    await this.write(scope, (w) => ops.deleteDirectory(w));
    for (const listener of this.deletionListeners) listener(scope);
  }

  /** Calls `listener` after each directory deletion commits, e.g. so in-process caches forget it. */
  onDirectoryDeleted(listener: (scope: DirectoryScope) => void): void {
    this.deletionListeners.add(listener);
  }

  startSnapshot(scope: DirectoryScope): SnapshotRun {
    return new SnapshotRun(this.writer, scope);
  }

  /** Applies a whole snapshot: what it lacks is deleted. Batches keep each transaction short. */
  async applySnapshot(scope: DirectoryScope, snapshot: Snapshot, batchSize = 500): Promise<SnapshotCounts> {
    const run = this.startSnapshot(scope);
    for (let i = 0; i < snapshot.users.length; i += batchSize) await run.users(snapshot.users.slice(i, i + batchSize));
    for (let i = 0; i < snapshot.groups.length; i += batchSize) await run.groups(snapshot.groups.slice(i, i + batchSize));
    for (let i = 0; i < snapshot.memberships.length; i += batchSize) {
      await run.memberships(snapshot.memberships.slice(i, i + batchSize));
    }
    return run.finish();
  }
}
