// Group commit: writes waiting for the same directory are applied together in one transaction,
// and each caller is answered when that transaction commits. One transaction per directory at a
// time per process also serializes PGlite's single connection without deadlocks.
// Waiting writes of one batched kind (see BatchedWrite) are handed over together, so a batch of N
// writes costs a few set-based statements rather than N times each write's own.
import { failureOf, type Db, type Tx } from "../db/client.js";
import { DirectoryWrite } from "./directory-write.js";
import type { DirectoryScope } from "./scope.js";

/** A unit of work on one directory; it may run in a transaction shared with other units. */
export type WriteOp<T> = (w: DirectoryWrite) => Promise<T>;

/**
 * A kind of write that waiting callers share: `apply` receives the inputs of consecutive waiting
 * writes of this kind, in arrival order, and must leave the same state and emit the same events, in
 * the same order, as applying them one after another. An Error in its result answers that caller
 * alone (an expected refusal found without a failed statement, such as a 404 or 409); a thrown error
 * rolls the shared transaction back, and each write is then retried alone.
 */
export interface BatchedWrite<I, R, P = undefined> {
  readonly name: string;
  /**
   * The read `apply` starts with, given to it as `read`. When the kind comes first in its transaction,
   * it is sent right behind the directory lock and shares that round trip: statements on one
   * connection run in order, so it runs once the lock is granted, with a snapshot taken then.
   */
  read?(tx: Tx, scope: DirectoryScope, inputs: I[]): Promise<P>;
  apply(w: DirectoryWrite, inputs: I[], read: P): Promise<(R | Error)[]>;
}

/** Where "now" comes from, so tests can move time without sleeping. */
export interface Clock {
  now(): Date;
}

interface Job {
  /** A plain unit of work, or one input of a batched kind. */
  work: { op: WriteOp<unknown> } | { kind: BatchedWrite<unknown, unknown, unknown>; input: unknown };
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Queue {
  scope: DirectoryScope;
  jobs: Job[];
  /** How many jobs the previous transaction carried: the concurrency this directory is seeing. */
  lastBatch: number;
  /** Called when a job arrives while the drain waits for more. */
  arrived: (() => void) | null;
  draining: boolean;
}

/** How the writer groups waiting writes. */
export interface WriterOptions {
  /** Most jobs in one transaction. */
  maxBatch?: number;
  /**
   * Longest wait, in ms, for more jobs before a transaction starts, when fewer are waiting than the
   * previous one carried (several clients are writing, and the ones just answered are about to send
   * their next write). 0 never waits: on PGlite, whose queries resolve without I/O, a timer could be
   * held back by a busy reader.
   */
  gatherMs?: number;
}

/** What one job's run produced: a value, or an Error that answers it alone. */
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class DirectoryWriter {
  private readonly queues = new Map<string, Queue>();

  private readonly maxBatch: number;
  private readonly gatherMs: number;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    options: WriterOptions | number = {},
  ) {
    const { maxBatch = 64, gatherMs = 0 } = typeof options === "number" ? { maxBatch: options } : options;
    this.maxBatch = maxBatch;
    this.gatherMs = gatherMs;
  }

  /** Runs `op` in a transaction that holds the directory's lock; resolves after commit. */
  run<T>(scope: DirectoryScope, op: WriteOp<T>): Promise<T> {
    return this.enqueue(scope, { op: op as WriteOp<unknown> });
  }

  /** Runs one write of a batched kind, together with the others of its kind waiting for the directory. */
  runBatched<I, R, P>(scope: DirectoryScope, kind: BatchedWrite<I, R, P>, input: I): Promise<R> {
    return this.enqueue(scope, { kind: kind as BatchedWrite<unknown, unknown, unknown>, input });
  }

  private enqueue<T>(scope: DirectoryScope, work: Job["work"]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const key = `${scope.organizationId}/${scope.directoryId}`;
      let queue = this.queues.get(key);
      if (!queue) {
        queue = { scope, jobs: [], lastBatch: 0, arrived: null, draining: false };
        this.queues.set(key, queue);
      }
      if (!queue.draining) {
        queue.draining = true;
        // Started after the current synchronous code, so callers arriving together share the first
        // batch. A microtask, not setImmediate: PGlite answers without I/O, so a busy reader could
        // otherwise keep the macrotask queue from ever running the drain.
        queueMicrotask(() => void this.drain(key, queue!));
      }
      queue.jobs.push({ work, resolve: resolve as (v: unknown) => void, reject });
      queue.arrived?.();
    });
  }

  private async drain(key: string, queue: Queue): Promise<void> {
    while (queue.jobs.length > 0) {
      if (this.gatherMs > 0 && queue.jobs.length < Math.min(queue.lastBatch, this.maxBatch)) await this.gather(queue);
      const batch = queue.jobs.splice(0, this.maxBatch);
      queue.lastBatch = batch.length;
      await this.commit(queue.scope, batch);
    }
    queue.draining = false;
    // A directory written by one caller at a time has nothing worth remembering.
    if (queue.lastBatch <= 1) this.queues.delete(key);
  }

  /**
   * Waits until as many jobs wait as the previous transaction carried, or gatherMs. Without it,
   * clients answered by one commit miss the next transaction by a moment and the batches of a
   * directory alternate between one job and all the others: twice the transactions for the same work.
   */
  private gather(queue: Queue): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        queue.arrived = null;
        resolve();
      };
      const timer = setTimeout(done, this.gatherMs);
      queue.arrived = () => {
        if (queue.jobs.length >= Math.min(queue.lastBatch, this.maxBatch)) done();
      };
    });
  }

  private async commit(scope: DirectoryScope, batch: Job[]): Promise<void> {
    let outcomes: Outcome[];
    // The transaction's last statements, sent but not awaited before COMMIT (see DirectoryWrite.flush):
    // what they failed with, or null.
    let written: Promise<unknown> = Promise.resolve(null);
    try {
      outcomes = await this.db.transaction(async (tx) => {
        const units = unitsOf(batch);
        const begun = DirectoryWrite.begin(tx, scope, this.clock.now());
        const first = units[0]!;
        const firstRead = "kind" in first ? readEarly(first, tx, scope) : null;
        const w = await begun;
        const out: Outcome[] = [];
        for (const unit of units) {
          if ("op" in unit) {
            out.push({ ok: true, value: await unit.op(w) });
            continue;
          }
          const { kind, inputs } = unit;
          const read = unit === first ? await firstRead! : await kind.read?.(tx, scope, inputs);
          const results = await kind.apply(w, inputs, read);
          if (results.length !== inputs.length) throw new Error(`batched write ${kind.name} answered ${results.length} of ${inputs.length} inputs`);
          for (const result of results) out.push(result instanceof Error ? { ok: false, error: result } : { ok: true, value: result });
        }
        written = failureOf(w.flush());
        return out;
      });
      // A failed last statement left the transaction aborted, so its COMMIT rolled back.
      const failure = await written;
      if (failure) throw failure;
    } catch (caught) {
      // A driver that notices the rolled-back COMMIT (PGlite) throws its own, vaguer error; the last
      // statements' own failure is known by then. It is not waited for beyond that: on a lost
      // connection, statements postgres.js still held back are never answered.
      const error = (await Promise.race([written, new Promise((resolve) => setImmediate(resolve, null))])) ?? caught;
      if (batch.length === 1) return batch[0]!.reject(error);
      // One unit failed and rolled the shared transaction back: run each alone, so only it fails.
      for (const job of batch) await this.commit(scope, [job]);
      return;
    }
    batch.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}

type Unit = { op: WriteOp<unknown> } | { kind: BatchedWrite<unknown, unknown, unknown>; inputs: unknown[] };

/** The batch as the transaction applies it: plain writes one by one, consecutive writes of one batched kind in one call. */
function unitsOf(batch: Job[]): Unit[] {
  const units: Unit[] = [];
  for (const { work } of batch) {
    const last = units.at(-1);
    if ("op" in work) units.push({ op: work.op });
    else if (last && "kind" in last && last.kind === work.kind) last.inputs.push(work.input);
    else units.push({ kind: work.kind, inputs: [work.input] });
  }
  return units;
}

/**
 * Sends a batched kind's read before the directory lock is granted (see BatchedWrite.read). It is
 * awaited only after the lock, so should that fail first, the read's own failure must not go unhandled.
 */
function readEarly(unit: { kind: BatchedWrite<unknown, unknown, unknown>; inputs: unknown[] }, tx: Tx, scope: DirectoryScope): Promise<unknown> {
  const read = unit.kind.read?.(tx, scope, unit.inputs) ?? Promise.resolve(undefined);
  read.catch(() => {});
  return read;
}
