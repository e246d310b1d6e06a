// Starts a pull sync through the REST API as an app does and waits for its outcome: POST
// /directories/:id/sync answers 202 with the running run (a dry run 201 with the finished one),
// and the run is polled through GET /directories/:id/sync_runs/:run_id until it ends.
import type { Harness } from "../harness.js";

/** The finished run, whatever its status (succeeded, failed, needs_confirmation). */
export async function postSync(h: Harness, directoryId: string, query = "", timeoutMs = 30_000): Promise<any> {
  const res = await h.request("POST", `/directories/${directoryId}/sync${query}`);
  const body: any = await res.json();
  if (res.status !== 201 && res.status !== 202) throw new Error(`sync -> ${res.status}: ${JSON.stringify(body)}`);
  return res.status === 202 ? waitForRun(h, directoryId, body.id, timeoutMs) : body;
}

/** Polls a run until its status is no longer "running". */
export async function waitForRun(h: Harness, directoryId: string, runId: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await h.json("GET", `/directories/${directoryId}/sync_runs/${runId}`);
    if (run.status !== "running") return run;
    if (Date.now() > deadline) throw new Error(`sync run ${runId} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
