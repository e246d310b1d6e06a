// Group commit: writes waiting for the same directory are applied together in one transaction,
// and each caller is answered when that transaction commits. One transaction per directory at a
// time per process also serializes PGlite's single connection without deadlocks.
import type { Db } from "../db/client.js";
import { DirectoryWrite } from "./directory-write.js";
import type { DirectoryScope } from "./scope.js";

/** A unit of work on one directory; it may run in a transaction shared with other units. */
export type WriteOp<T> = (w: DirectoryWrite) => Promise<T>;

/** Where "now" comes from, so tests can move time without sleeping. */
export interface Clock {
  now(): Date;
}

interface Job {
  op: WriteOp<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Queue {
  scope: DirectoryScope;
  jobs: Job[];
}

export class DirectoryWriter {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly maxBatch = 64,
  ) {}

  /** Runs `op` in a transaction that holds the directory's lock; resolves after commit. */
  run<T>(scope: DirectoryScope, op: WriteOp<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const key = `${scope.organizationId}/${scope.directoryId}`;
      let queue = this.queues.get(key);
      if (!queue) {
        queue = { scope, jobs: [] };
        this.queues.set(key, queue);
        // Started after the current synchronous code, so callers arriving together share the first
        // batch. A microtask, not setImmediate: PGlite answers without I/O, so a busy reader could
        // otherwise keep the macrotask queue from ever running the drain.
        queueMicrotask(() => void this.drain(key, queue!));
      }
      queue.jobs.push({ op: op as WriteOp<unknown>, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private async drain(key: string, queue: Queue): Promise<void> {
    while (queue.jobs.length > 0) await this.commit(queue.scope, queue.jobs.splice(0, this.maxBatch));
    this.queues.delete(key);
  }

  private async commit(scope: DirectoryScope, batch: Job[]): Promise<void> {
    try {
      const results = await this.db.transaction(async (tx) => {
        const w = await DirectoryWrite.begin(tx, scope, this.clock.now());
        const out: unknown[] = [];
        for (const job of batch) out.push(await job.op(w));
        await w.flush();
        return out;
      });
      batch.forEach((job, i) => job.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      // One unit failed and rolled the shared transaction back: run each alone, so only it fails.
      for (const job of batch) await this.commit(scope, [job]);
    }
  }
}
