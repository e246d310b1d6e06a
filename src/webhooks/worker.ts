// The webhook delivery loop: fan out new events, claim due deliveries, send them. Each step is
// runOnce(), which tests call directly; the loop only repeats it and sleeps when idle.
import { randomUUID } from "node:crypto";
import type { Deps } from "../deps.js";
import { pollLoop } from "../poll-loop.js";
import type { BackgroundJob } from "../worker.js";
import { claimDueDeliveries } from "./claim.js";
import { deliverClaimed, deliverySettings, type DeliverySettings } from "./deliver.js";
import { dispatchEvents, ensureDispatchCursor } from "./dispatch.js";

const DISPATCH_BATCH = 1000;
const DISPATCH_BUDGET_MS = 2000;

/** Counts from one step, so the loop knows whether to sleep. */
export interface StepResult {
  dispatched: number;
  sent: number;
}

/** One worker's delivery loop; holds its claim token and stop flag across steps. */
export class WebhookWorker {
  private readonly settings: DeliverySettings;
  private readonly claimToken = randomUUID();
  private ready = false;

  constructor(
    private readonly deps: Deps,
    private readonly options: { batchSize?: number } = {},
  ) {
    this.settings = deliverySettings(deps.config);
  }

  /** Lease per claim: long enough for the whole batch (sent concurrently, each bounded by the timeout). */
  get leaseMs(): number {
    return this.settings.timeoutMs * 2 + 5_000;
  }

  async runOnce(): Promise<StepResult> {
    const { db, clock } = this.deps;
    if (!this.ready) {
      await ensureDispatchCursor(db, clock.now());
      this.ready = true;
    }
    // Fan out the whole backlog before claiming (within a time budget): the claim order (priority
    // lane first) only covers what has been fanned out, so a deletion behind a bulk import must be.
    let dispatched = 0;
    const budgetEnds = performance.now() + DISPATCH_BUDGET_MS;
    for (;;) {
      const n = await dispatchEvents(db, clock.now(), DISPATCH_BATCH);
      dispatched += n;
      if (n < DISPATCH_BATCH || performance.now() > budgetEnds) break;
    }
    const claimed = await claimDueDeliveries(db, {
      now: clock.now(),
      limit: this.options.batchSize ?? this.deps.config.DSYNC_WEBHOOK_BATCH_SIZE,
      leaseMs: this.leaseMs,
      claimToken: this.claimToken,
    });
    await deliverClaimed(this.deps, claimed, this.settings);
    return { dispatched, sent: claimed.length };
  }

  /** Runs steps until stopped; sleeps only when a step found nothing to do. */
  start(): { stop(): Promise<void> } {
    return pollLoop({
      step: async () => {
        const step = await this.runOnce();
        return step.dispatched > 0 || step.sent > 0;
      },
      idleMs: this.deps.config.DSYNC_WEBHOOK_POLL_MS,
      errorMs: Math.max(1000, this.deps.config.DSYNC_WEBHOOK_POLL_MS),
      onError: (error) => this.deps.log.error({ err: error }, "webhook step failed"),
    });
  }
}

/** The job src/worker.ts runs in the worker and all-in-one processes. */
export const webhookDeliveryJob: BackgroundJob = {
  name: "webhook-delivery",
  start: (deps) => new WebhookWorker(deps).start(),
};
