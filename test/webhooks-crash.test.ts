import { afterAll, expect, it } from "vitest";
import { ops, waitForSettledFeed } from "../src/sync/index.js";
import { gatewayEnv, GatewayProcess, type GatewayEnv } from "./support/gateway-process.js";
import { WebhookSink } from "./support/webhook-sink.js";

const EVENTS = 200;
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** An organization, a directory, an endpoint on the sink and EVENTS user events; returns the event ids. */
async function seed(g: GatewayEnv, sinkUrl: string): Promise<string[]> {
  const { deps, request } = await g.open();
  try {
    const org = await request("POST", "/organizations", { name: "Crash Co" });
    const dir = await request("POST", "/directories", { organization_id: org.id, type: "generic scim v2.0", name: "Crash directory" });
    await request("POST", "/webhook_endpoints", { url: sinkUrl, organization_id: org.id });
    const scope = { organizationId: org.id, directoryId: dir.id };
    const users = Array.from({ length: EVENTS }, (_, i) => ({ idp_id: `u${i}`, email: `u${i}@crash.test` }));
    await deps.reconciler.write(scope, (w) => ops.upsertUsers(w, users));
    await waitForSettledFeed(deps.db);
    const feed = await request("GET", `/events?directory_id=${dir.id}&limit=100`);
    const more = await request("GET", `/events?directory_id=${dir.id}&limit=100&after=${feed.list_metadata.after}`);
    return [...feed.data, ...more.data].map((e: { id: string }) => e.id);
  } finally {
    await deps.database.close();
  }
}

it(
  "delivers every event at least once when the worker is killed with -9 mid-batch and restarted",
  async () => {
    const g = await gatewayEnv({ DSYNC_WEBHOOK_TIMEOUT_MS: "1000", DSYNC_WEBHOOK_POLL_MS: "50", DSYNC_WEBHOOK_BATCH_SIZE: "10" });
    cleanup.push(() => g.dispose());
    const sink = await WebhookSink.start();
    cleanup.push(() => sink.close());
    sink.delayMs = 30; // keeps each batch in flight long enough to be cut off
    const ids = await seed(g, sink.url);
    expect(ids).toHaveLength(EVENTS);

    const first = GatewayProcess.start("worker", g.env);
    cleanup.push(() => first.stop());
    // Requests 31-35 get no answer, and the 35th triggers kill -9: the worker dies mid-batch with
    // those claims leased and nothing recorded for them.
    sink.respond(() => {
      const index = sink.requests.length;
      if (index < 30 || index >= 35) return undefined;
      if (index === 34) first.child.kill("SIGKILL");
      return "hang";
    });
    await sink.waitFor(() => sink.requests.length >= 35, 60_000);
    await first.exited;
    sink.reset();
    const beforeCrash = sink.requests.map((r) => r.json.id);
    expect(new Set(beforeCrash).size).toBeLessThan(EVENTS);
    const inFlight = beforeCrash.slice(30, 35);

    const second = GatewayProcess.start("worker", g.env);
    cleanup.push(() => second.stop());
    const resent = () => new Set(sink.requests.slice(beforeCrash.length).map((r) => r.json.id));
    const delivered = () => new Set(sink.delivered.map((r) => r.json.id));
    // The dead batch's claims are retaken once their lease runs out, and sent again.
    await sink.waitFor(() => delivered().size === EVENTS && inFlight.every((id) => resent().has(id)), 60_000);
    await second.stop();

    expect([...delivered()].sort()).toEqual([...ids].sort());
  },
  120_000,
);
