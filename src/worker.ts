// The background worker: runs each registered job loop until stopped. Jobs (webhook delivery,
// pull-sync scheduling) register here as they are built; with none registered it idles.
import type { Deps } from "./deps.js";
import { pullSyncJob } from "./sync/scheduler.js";
import { webhookDeliveryJob } from "./webhooks/worker.js";

/** A background loop; `stop` resolves once the job has finished its current step. */
export interface BackgroundJob {
  name: string;
  start(deps: Deps): { stop(): Promise<void> };
}

/** Jobs the worker runs, in start order. */
export const backgroundJobs: BackgroundJob[] = [webhookDeliveryJob, pullSyncJob];

export function startWorker(deps: Deps, jobs: BackgroundJob[] = backgroundJobs): { stop(): Promise<void> } {
  const running = jobs.map((job) => ({ name: job.name, handle: job.start(deps) }));
  deps.log.info({ jobs: running.map((j) => j.name) }, "worker started");
  return {
    async stop() {
      await Promise.all(running.map((j) => j.handle.stop()));
      deps.log.info("worker stopped");
    },
  };
}
