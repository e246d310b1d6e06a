// The pull-sync scheduler: finds pull directories whose incremental (default 15 min) or full
// (default 24 h) run is due, takes each one's lease, runs the connector through normalize into the
// reconciler, and records the run. Also the on-demand entry points (sync now, dry run, confirm or
// reject a held deletion). Time comes from deps.clock; runOnce() is one scheduling step.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { CredentialsError, CursorExpiredError } from "../../connectors/types.js";
import type { Db } from "../db/client.js";
import type { Deps } from "../deps.js";
import { GatewayError } from "../errors.js";
import { newId } from "../model/index.js";
import { pollLoop } from "../poll-loop.js";
import type { BackgroundJob } from "../worker.js";
import { acquireSyncLease, listDueDirectories, openCredentials, readPullDirectory, releaseSyncLease, renewSyncLease, setStateReason, type SyncLease } from "./pull-directories.js";
import { pullSourceFor, schedulerSettings } from "./pull-sources.js";
import { applyChanges, applyFullSnapshot, dryRun, emptyTally, sweepHeldSnapshot, type FullOutcome, type Tally } from "./pull-sync.js";
import type { DirectoryScope } from "./scope.js";
import type { WriteRunner } from "./snapshot.js";
import {
  abandonSyncRun,
  decideSyncRun,
  finishSyncRun,
  getSyncRunRow,
  pendingConfirmation,
  startSyncRun,
  type SyncRun,
  type SyncRunKind,
  type SyncRunResult,
  type SyncTrigger,
} from "./sync-runs.js";

/** This process's name on the leases it takes. */
const PROCESS_HOLDER = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
const DUE_BATCH = 10;

export interface SchedulerOptions {
  /** Lease holder name; distinct per scheduler in tests that simulate several workers. */
  holder?: string;
  leaseMs?: number;
}

export interface SyncRequest {
  full: boolean;
  dryRun: boolean;
  trigger: SyncTrigger;
}

class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

export class PullSyncScheduler {
  private readonly holder: string;
  private readonly leaseMs: number;
  private readonly writer: WriteRunner;

  constructor(
    private readonly deps: Deps,
    options: SchedulerOptions = {},
  ) {
    this.holder = options.holder ?? PROCESS_HOLDER;
    this.leaseMs = options.leaseMs ?? deps.config.DSYNC_SYNC_LEASE_SECONDS * 1000;
    this.writer = { run: (scope, op) => deps.reconciler.write(scope, op) };
  }

  /** One scheduling step: runs every due directory this worker can lease; returns the runs. */
  async runOnce(): Promise<SyncRun[]> {
    const due = await listDueDirectories(this.deps.db, this.deps.clock.now(), DUE_BATCH);
    const runs: SyncRun[] = [];
    for (const directory of due) {
      const run = await this.run(directory.scope, directory.type, { full: directory.full, dryRun: false, trigger: "schedule" });
      if (run) runs.push(run);
    }
    return runs;
  }

  /** Runs a sync now; a conflict when another run holds the directory or a deletion awaits a decision. */
  async syncNow(scope: DirectoryScope, type: string, request: Omit<SyncRequest, "trigger">): Promise<SyncRun> {
    if (!request.dryRun && (await pendingConfirmation(this.deps.db, scope))) {
      throw new GatewayError("conflict", "a sync run is waiting for its deletions to be confirmed or rejected");
    }
    const run = await this.run(scope, type, { ...request, trigger: "manual" });
    if (!run) throw new GatewayError("conflict", "a sync of this directory is already running", { retryable: true });
    return run;
  }

  /** Applies the deletions a held run previewed, under the directory's lease. */
  async confirm(scope: DirectoryScope, runId: string): Promise<SyncRun> {
    const { db, clock } = this.deps;
    const row = await this.heldRun(scope, runId);
    const lease = await acquireSyncLease(db, scope.directoryId, this.holder, runId, clock.now(), this.leaseMs);
    if (!lease) throw new GatewayError("conflict", "a sync of this directory is already running", { retryable: true });
    try {
      const swept = await sweepHeldSnapshot(this.writer, scope, row.snapshotMark!);
      const counts = { ...row.counts, confirmed_deletions: { users: swept.users.deleted, groups: swept.groups.deleted, memberships: swept.memberships.removed } };
      const run = await decideSyncRun(db, runId, { status: "succeeded", deleted: row.deleted + swept.users.deleted + swept.groups.deleted, counts }, clock.now());
      if (!run) throw new GatewayError("conflict", "this sync run is no longer waiting for confirmation");
      this.deps.log.info({ syncRunId: runId, deleted: run.deleted }, "held deletions confirmed");
      return run;
    } finally {
      await releaseSyncLease(db, scope.directoryId, lease, {}, clock.now());
    }
  }

  /** Discards a held run's deletions; the next full run will find the same users missing and ask again. */
  async reject(scope: DirectoryScope, runId: string): Promise<SyncRun> {
    await this.heldRun(scope, runId);
    const run = await decideSyncRun(this.deps.db, runId, { status: "rejected" }, this.deps.clock.now());
    if (!run) throw new GatewayError("conflict", "this sync run is no longer waiting for confirmation");
    return run;
  }

  private async heldRun(scope: DirectoryScope, runId: string) {
    const row = await getSyncRunRow(this.deps.db, scope, runId);
    if (!row) throw new GatewayError("not_found", `sync run not found: ${runId}`);
    if (row.status !== "needs_confirmation" || !row.snapshotMark) throw new GatewayError("conflict", `sync run ${runId} is ${row.status}, not needs_confirmation`);
    return row;
  }

  /** Leases the directory and runs one sync; null when another worker holds the lease. */
  private async run(scope: DirectoryScope, type: string, request: SyncRequest): Promise<SyncRun | null> {
    const { db, clock } = this.deps;
    const runId = newId("sync_run");
    const lease = await acquireSyncLease(db, scope.directoryId, this.holder, runId, clock.now(), this.leaseMs);
    if (!lease) return null;
    if (lease.previousRunId) await abandonSyncRun(db, lease.previousRunId, clock.now());
    const log = this.deps.log.child({ syncRunId: runId, provider: type, directoryId: scope.directoryId });
    const pull = await readPullDirectory(db, scope.directoryId);
    const settings = schedulerSettings(pull?.settings ?? {});
    const kind: SyncRunKind = request.full || !pull?.cursor ? "full" : "incremental";
    await startSyncRun(db, scope, { id: runId, kind, trigger: request.trigger, dryRun: request.dryRun }, clock.now());
    log.info({ kind, dryRun: request.dryRun, trigger: request.trigger }, "sync run started");

    const errors: { message: string; at: string }[] = [];
    const now = () => clock.now();
    const nextTimes = (full: boolean) => ({
      nextIncrementalAt: new Date(now().getTime() + settings.incremental_interval_minutes * 60_000),
      ...(full ? { nextFullAt: new Date(now().getTime() + settings.full_interval_hours * 3_600_000) } : {}),
    });
    try {
      const source = pullSourceFor(type);
      if (!pull || !source || !pull.credentialsCiphertext) throw new CredentialsError("the directory has no pull credentials");
      const connector = source.createConnector(openCredentials(this.deps.encryptionKey, pull), pull.settings);
      const signal = new AbortController().signal;
      const renew = async (on: Db) => {
        if (!(await renewSyncLease(on, scope.directoryId, lease, now(), this.leaseMs))) throw new LeaseLostError("the sync lease expired and was taken over");
      };
      let ranKind = kind;
      const body = async (target: WriteRunner): Promise<FullOutcome> => {
        // A dry run renews inside its own transaction: on PGlite, the one connection is held by it.
        const afterPage = request.dryRun ? () => target.run(scope, (w) => renew(w.tx)) : () => renew(db);
        if (kind === "incremental" && connector.changes) {
          try {
            const applied = await applyChanges(target, scope, connector.changes(pull.cursor!, signal), source, { signal, afterPage });
            return { held: false, ...applied };
          } catch (error) {
            if (!(error instanceof CursorExpiredError)) throw error;
            // The vendor dropped our cursor: start a new initial round, then mark and sweep.
            errors.push({ message: `${error.message}; running a full resync`, at: now().toISOString() });
            log.info({ reason: error.message }, "delta cursor expired, running a full resync");
            ranKind = "full";
          }
        }
        return applyFullSnapshot(target, scope, connector, source, { signal, afterPage, deletionThresholdPercent: settings.deletion_threshold_percent });
      };

      if (request.dryRun) {
        const { result, events } = await dryRun(db, scope, now(), async (target) => {
          const outcome = await body(target);
          // Show the held deletions too: nothing is kept either way.
          if (outcome.held) return { outcome, swept: await sweepHeldSnapshot(target, scope, outcome.mark) };
          return { outcome, swept: null };
        });
        const tally = result.swept ? mergeSwept(result.outcome.tally, result.swept) : result.outcome.tally;
        const preview = { events, would_need_confirmation: result.outcome.held, ...(result.outcome.held ? { deletions: result.outcome.preview } : {}) };
        await releaseSyncLease(db, scope.directoryId, lease, {}, now());
        return finishSyncRun(db, runId, this.result("succeeded", ranKind, tally, errors, preview, null), now());
      }

      const outcome = await body(this.writer);
      const full = ranKind === "full";
      await releaseSyncLease(db, scope.directoryId, lease, { ...(outcome.cursor ? { cursor: outcome.cursor } : {}), ...nextTimes(full) }, now());
      if (pull.stateReason) {
        // The credentials work again (e.g. the app's secret was restored): the directory is usable.
        await setStateReason(db, scope.directoryId, null, now());
        await this.deps.reconciler.setDirectoryState(scope, "linked");
      }
      if (outcome.held) {
        log.info({ unseenUsers: outcome.preview.users, totalUsers: outcome.preview.total_users }, "snapshot deletions held for confirmation");
        const preview = { deletions: outcome.preview, threshold_percent: settings.deletion_threshold_percent };
        return finishSyncRun(db, runId, this.result("needs_confirmation", ranKind, outcome.tally, errors, preview, outcome.mark), now());
      }
      const run = await finishSyncRun(db, runId, this.result("succeeded", ranKind, outcome.tally, errors, null, null), now());
      log.info({ kind: ranKind, created: run.created, updated: run.updated, deleted: run.deleted }, "sync run finished");
      return run;
    } catch (error) {
      const message = error instanceof CredentialsError ? error.reason : error instanceof Error ? error.message : String(error);
      errors.push({ message, at: now().toISOString() });
      if (error instanceof CredentialsError) {
        await setStateReason(db, scope.directoryId, message, now());
        await this.deps.reconciler.setDirectoryState(scope, "invalid_credentials");
      }
      log.warn({ err: error instanceof Error ? { name: error.name, message } : message }, "sync run failed");
      await releaseSyncLease(db, scope.directoryId, lease, request.dryRun ? {} : nextTimes(false), now());
      return finishSyncRun(db, runId, this.result("failed", kind, emptyTally(), errors, null, null), now());
    }
  }

  private result(
    status: SyncRunResult["status"],
    kind: SyncRunKind,
    tally: Tally,
    errors: SyncRunResult["errors"],
    preview: Record<string, unknown> | null,
    snapshotMark: string | null,
  ): SyncRunResult {
    return {
      status,
      kind,
      usersSeen: tally.users.created + tally.users.updated + tally.users.unchanged,
      groupsSeen: tally.groups.created + tally.groups.updated + tally.groups.unchanged,
      created: tally.users.created + tally.groups.created,
      updated: tally.users.updated + tally.users.deactivated + tally.groups.updated,
      deleted: tally.users.deleted + tally.groups.deleted,
      counts: tally as unknown as Record<string, unknown>,
      errors,
      preview,
      snapshotMark,
    };
  }
}

function mergeSwept(tally: Tally, swept: Tally): Tally {
  return {
    users: { ...tally.users, deleted: tally.users.deleted + swept.users.deleted },
    groups: { ...tally.groups, deleted: tally.groups.deleted + swept.groups.deleted },
    memberships: { ...tally.memberships, removed: tally.memberships.removed + swept.memberships.removed },
  };
}

/** The job src/worker.ts runs: a scheduling step every DSYNC_SYNC_POLL_MS. */
export const pullSyncJob: BackgroundJob = {
  name: "pull-sync",
  start(deps) {
    const scheduler = new PullSyncScheduler(deps);
    return pollLoop({
      step: async () => {
        await scheduler.runOnce();
        return false;
      },
      idleMs: deps.config.DSYNC_SYNC_POLL_MS,
      errorMs: deps.config.DSYNC_SYNC_POLL_MS,
      onError: (error) => deps.log.error({ err: error }, "pull-sync step failed"),
    });
  },
};
