// The pull-sync scheduler: finds pull directories whose incremental (default 15 min) or full
// (default 24 h) run is due, takes each one's lease, runs the connector through normalize into the
// reconciler, and records the run. Also the on-demand entry points (start a run in the background,
// sync and wait, dry run, confirm or reject a held deletion). Time comes from deps.clock; runOnce()
// is one scheduling step.
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
import { dataQualityReport } from "./data-quality.js";
import { userMappingFor } from "../normalize/index.js";
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
/** Data-quality issues a dry run lists (the summary counts them all). */
const DRY_RUN_QUALITY_SAMPLE = 20;

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

/** A run whose lease is taken and whose row is written, not yet executed. */
interface ClaimedRun {
  scope: DirectoryScope;
  type: string;
  request: SyncRequest;
  lease: SyncLease;
  kind: SyncRunKind;
  pull: Awaited<ReturnType<typeof readPullDirectory>>;
  /** The run as recorded at its start (status running). */
  started: SyncRun;
}

/**
 * Runs started on demand that this process is executing in the background, per Deps (one gateway):
 * stopBackgroundSyncs aborts and awaits them at shutdown. A process that dies instead leaves the
 * lease to expire; the next scheduler step then marks the run abandoned and takes the directory over.
 */
const backgroundRuns = new Map<Deps, Map<string, { controller: AbortController; done: Promise<void> }>>();

/** Aborts the on-demand runs this process is executing for `deps` and waits until each has stopped. */
export async function stopBackgroundSyncs(deps: Deps): Promise<void> {
  const runs = backgroundRuns.get(deps);
  if (!runs) return;
  for (const run of runs.values()) run.controller.abort(new Error("the gateway is shutting down"));
  await Promise.all([...runs.values()].map((r) => r.done));
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

  /** Runs a sync now and waits for it; a conflict when another run holds the directory or a deletion awaits a decision. */
  async syncNow(scope: DirectoryScope, type: string, request: Omit<SyncRequest, "trigger">): Promise<SyncRun> {
    const claimed = await this.claimManual(scope, type, request);
    return this.execute(claimed, new AbortController().signal);
  }

  /**
   * Starts a (non-dry) sync and returns at once with the run as recorded at its start (status
   * running): the lease is taken and the run row written before this returns, so a conflict is
   * still answered here; the sync itself goes on in the background under that lease, and its
   * outcome is read from the run (GET /directories/:id/sync_runs/:run_id).
   */
  async startNow(scope: DirectoryScope, type: string, request: { full: boolean }): Promise<SyncRun> {
    const claimed = await this.claimManual(scope, type, { full: request.full, dryRun: false });
    const controller = new AbortController();
    const runs = backgroundRuns.get(this.deps) ?? new Map();
    backgroundRuns.set(this.deps, runs);
    const done = this.execute(claimed, controller.signal).then(
      () => undefined,
      // execute() records its own failures; this is a failure to record one (the database went away).
      (error: unknown) => this.deps.log.error({ err: error, syncRunId: claimed.started.id }, "background sync run could not be recorded"),
    );
    runs.set(claimed.started.id, {
      controller,
      done: done.finally(() => {
        runs.delete(claimed.started.id);
        if (runs.size === 0) backgroundRuns.delete(this.deps);
      }),
    });
    return claimed.started;
  }

  private async claimManual(scope: DirectoryScope, type: string, request: Omit<SyncRequest, "trigger">): Promise<ClaimedRun> {
    if (!request.dryRun && (await pendingConfirmation(this.deps.db, scope))) {
      throw new GatewayError("conflict", "a sync run is waiting for its deletions to be confirmed or rejected");
    }
    const claimed = await this.claim(scope, type, { ...request, trigger: "manual" });
    if (!claimed) throw new GatewayError("conflict", "a sync of this directory is already running", { retryable: true });
    return claimed;
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
    const claimed = await this.claim(scope, type, request);
    return claimed ? this.execute(claimed, new AbortController().signal) : null;
  }

  /** Takes the directory's lease and records the run as started; null when another holder has the lease. */
  private async claim(scope: DirectoryScope, type: string, request: SyncRequest): Promise<ClaimedRun | null> {
    const { db, clock } = this.deps;
    const runId = newId("sync_run");
    const lease = await acquireSyncLease(db, scope.directoryId, this.holder, runId, clock.now(), this.leaseMs);
    if (!lease) return null;
    if (lease.previousRunId) await abandonSyncRun(db, lease.previousRunId, clock.now());
    const pull = await readPullDirectory(db, scope.directoryId);
    const kind: SyncRunKind = request.full || !pull?.cursor ? "full" : "incremental";
    const started = await startSyncRun(db, scope, { id: runId, kind, trigger: request.trigger, dryRun: request.dryRun }, clock.now());
    return { scope, type, request, lease, kind, pull, started };
  }

  /** Runs a claimed sync to its end and records the outcome; `signal` stops it early (shutdown). */
  private async execute(claimed: ClaimedRun, signal: AbortSignal): Promise<SyncRun> {
    const { db, clock } = this.deps;
    const { scope, type, request, lease, kind, pull } = claimed;
    const runId = claimed.started.id;
    const log = this.deps.log.child({ syncRunId: runId, provider: type, directoryId: scope.directoryId });
    const settings = schedulerSettings(pull?.settings ?? {});
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
          const swept = outcome.held ? await sweepHeldSnapshot(target, scope, outcome.mark) : null;
          // The users as the run would leave them, checked as GET /directories/:id/data_quality checks stored ones.
          const quality = await target.run(scope, (w) => dataQualityReport(w.tx, scope, userMappingFor(w.directory), { limit: DRY_RUN_QUALITY_SAMPLE }));
          return { outcome, swept, quality };
        });
        const tally = result.swept ? mergeSwept(result.outcome.tally, result.swept) : result.outcome.tally;
        const dataQuality = { summary: result.quality.summary, sample: result.quality.data };
        const preview = { events, data_quality: dataQuality, would_need_confirmation: result.outcome.held, ...(result.outcome.held ? { deletions: result.outcome.preview } : {}) };
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
