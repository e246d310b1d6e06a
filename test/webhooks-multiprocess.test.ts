import { afterAll, expect, it } from "vitest";
import { ops } from "../src/sync/index.js";
import { TEST_API_KEY } from "./harness.js";
import { gatewayEnv, GatewayProcess } from "./support/gateway-process.js";
import { WebhookSink } from "./support/webhook-sink.js";

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

const BATCHES = 10;
const PER_BATCH = 40;

// Several processes on one database need a real server: PGlite is one process's database.
it.runIf(Boolean(process.env.DATABASE_URL))(
  "delivers every event exactly once with one serve and two worker processes on one Postgres",
  async () => {
    const g = await gatewayEnv({ DSYNC_WEBHOOK_POLL_MS: "50", DSYNC_WEBHOOK_BATCH_SIZE: "10", LOG_LEVEL: "info" });
    cleanup.push(() => g.dispose());
    const sink = await WebhookSink.start();
    cleanup.push(() => sink.close());
    sink.delayMs = 10;

    const serve = GatewayProcess.start("serve", g.env);
    const workers = [GatewayProcess.start("worker", g.env), GatewayProcess.start("worker", g.env)];
    for (const p of [serve, ...workers]) cleanup.push(() => p.stop());
    const base = await serve.listening();
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(res.ok, `${method} ${path} -> ${res.status}`).toBe(true);
      return res.json() as Promise<any>;
    };

    const org = await call("POST", "/organizations", { name: "Fleet Co" });
    const dir = await call("POST", "/directories", { organization_id: org.id, type: "generic scim v2.0", name: "Fleet" });
    const endpoint = await call("POST", "/webhook_endpoints", { url: sink.url, organization_id: org.id });

    // Writes arrive while both workers run: a bulk per batch, in separate transactions.
    const { deps } = await g.open();
    cleanup.push(() => deps.database.close());
    const scope = { organizationId: org.id, directoryId: dir.id };
    for (let b = 0; b < BATCHES; b++) {
      const users = Array.from({ length: PER_BATCH }, (_, i) => ({ idp_id: `u${b}-${i}`, email: `u${b}-${i}@fleet.test` }));
      await deps.reconciler.write(scope, (w) => ops.upsertUsers(w, users));
    }
    const total = BATCHES * PER_BATCH;
    await sink.waitFor(() => sink.requests.length >= total, 60_000);
    await new Promise((r) => setTimeout(r, 1500)); // would any duplicate still arrive?

    const ids = sink.requests.map((r) => r.json.id);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    const log = await call("GET", `/webhook_endpoints/${endpoint.id}/deliveries?limit=1`);
    expect(log.data[0]).toMatchObject({ status_code: 200, delivery_state: "delivered" });
    // Both workers took part (each logs one line per attempt).
    for (const w of workers) expect(w.output.match(/"webhook attempt"/g)?.length ?? 0).toBeGreaterThan(0);
  },
  120_000,
);
