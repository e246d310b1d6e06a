// Webhook delivery on Postgres with real worker processes and a local sink (not part of CI):
//  1. throughput: deliveries/s with 1, 2 and 4 `worker` processes, and p50 / p99 from event commit
//     to arrival at the sink;
//  2. priority lane: during a 50,000-event burst, deprovisioning events (user deleted) are committed
//     at intervals; time from their commit to arrival at the sink (goal: p99 under 1 s).
// Each run gets a fresh database next to DATABASE_URL's.
// Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench npx tsx bench/webhooks.ts [events] [burst]
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ops } from "../src/sync/index.js";
import { gatewayEnv, GatewayProcess, type GatewayEnv } from "../test/support/gateway-process.js";

if (!process.env.DATABASE_URL) throw new Error("set DATABASE_URL to a Postgres database (a fresh one is created beside it per run)");
const EVENTS = Number(process.argv[2] ?? 10_000);
const BURST = Number(process.argv[3] ?? 50_000);
const TX = 500; // users per write transaction (a bulk import's page)

/** The receiver: answers 200 at once and notes when each event id first arrived. */
async function startSink() {
  const arrived = new Map<string, number>();
  let total = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const { id } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id: string };
      total += 1;
      if (!arrived.has(id)) arrived.set(id, Date.now());
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    arrived,
    total: () => total,
    close: () => new Promise((r) => server.close(r)),
  };
}

async function until(condition: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const pct = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

/** A fresh database with an organization, a directory and an endpoint on the sink; workers started. */
async function setup(workers: number, sinkUrl: string) {
  const g: GatewayEnv = await gatewayEnv({ LOG_LEVEL: "info", DSYNC_WEBHOOK_POLL_MS: "50", DSYNC_WEBHOOK_BATCH_SIZE: "50" });
  const { deps, request } = await g.open();
  const org = await request("POST", "/organizations", { name: "Bench Co" });
  const dir = await request("POST", "/directories", { organization_id: org.id, type: "generic scim v2.0", name: "Bench" });
  await request("POST", "/webhook_endpoints", { url: sinkUrl, organization_id: org.id });
  const procs = Array.from({ length: workers }, () => GatewayProcess.start("worker", g.env));
  await until(() => procs.every((p) => p.output.includes("worker started")), 60_000, "workers to start");
  const scope = { organizationId: org.id, directoryId: dir.id };
  return {
    deps,
    scope,
    async teardown() {
      await Promise.all(procs.map((p) => p.stop()));
      await deps.database.close();
      await g.dispose();
    },
  };
}

/** Writes users in transactions of TX; returns each event's commit time by user idp_id. */
async function writeUsers(env: Awaited<ReturnType<typeof setup>>, prefix: string, count: number, onCommitted?: (written: number) => Promise<void>) {
  const committed = new Map<string, number>();
  for (let start = 0; start < count; start += TX) {
    const users = Array.from({ length: Math.min(TX, count - start) }, (_, i) => ({ idp_id: `${prefix}${start + i}`, email: `${prefix}${start + i}@bench.test` }));
    const results = await env.deps.reconciler.write(env.scope, (w) => ops.upsertUsers(w, users));
    const at = Date.now();
    for (const r of results) committed.set(r.user.id, at);
    await onCommitted?.(start + users.length);
  }
  return committed;
}

async function throughput(workers: number) {
  const sink = await startSink();
  const env = await setup(workers, sink.url);
  const started = Date.now();
  const committed = await writeUsers(env, "t", EVENTS);
  const eventIds = new Map<string, string>(); // event id -> user id
  await until(() => sink.arrived.size >= EVENTS, 300_000, "all deliveries");
  const finished = Math.max(...sink.arrived.values());
  // Event ids to user ids: one read of the feed after the run.
  const rows = (await env.deps.db.execute(`select id, data->>'id' as user_id from events where event = 'dsync.user.created'`)) as unknown as
    | { id: string; user_id: string }[]
    | { rows: { id: string; user_id: string }[] };
  for (const row of Array.isArray(rows) ? rows : rows.rows) eventIds.set(row.id, row.user_id);
  const latencies = [...sink.arrived].map(([eventId, at]) => at - committed.get(eventIds.get(eventId)!)!);
  const result = {
    workers,
    events: EVENTS,
    seconds: (finished - started) / 1000,
    perSecond: Math.round(EVENTS / ((finished - started) / 1000)),
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    duplicates: sink.total() - sink.arrived.size,
  };
  await env.teardown();
  await sink.close();
  return result;
}

async function priorityLane(workers: number, samples = 10) {
  const sink = await startSink();
  const env = await setup(workers, sink.url);
  const leavers = await writeUsers(env, "leaver", samples);
  await until(() => sink.arrived.size >= samples, 60_000, "leavers' creation");
  const leaverIds = [...leavers.keys()];
  const deletions: { userId: string; commit: number; eventId: string }[] = [];
  const every = Math.floor(BURST / (samples + 1));
  const started = Date.now();
  await writeUsers(env, "burst", BURST, async (written) => {
    if (deletions.length < samples && written >= (deletions.length + 1) * every) {
      const userId = leaverIds[deletions.length]!;
      await env.deps.reconciler.deleteUser(env.scope, { id: userId });
      deletions.push({ userId, commit: Date.now(), eventId: "" });
    }
  });
  const written = Date.now();
  const rows = (await env.deps.db.execute(`select id, data->>'id' as user_id from events where event = 'dsync.user.deleted'`)) as unknown as
    | { id: string; user_id: string }[]
    | { rows: { id: string; user_id: string }[] };
  const byUser = new Map((Array.isArray(rows) ? rows : rows.rows).map((r) => [r.user_id, r.id]));
  for (const d of deletions) d.eventId = byUser.get(d.userId)!;
  await until(() => deletions.every((d) => sink.arrived.has(d.eventId)), 300_000, "deletions");
  const lat = deletions.map((d) => sink.arrived.get(d.eventId)! - d.commit);
  await until(() => sink.arrived.size >= samples * 2 + BURST, 600_000, "the whole burst");
  const result = {
    workers,
    burst: BURST,
    writeSeconds: (written - started) / 1000,
    drainSeconds: (Math.max(...sink.arrived.values()) - started) / 1000,
    deletionP50: pct(lat, 0.5),
    deletionP99: pct(lat, 0.99),
    deletionMax: Math.max(...lat),
  };
  await env.teardown();
  await sink.close();
  return result;
}

console.log(`webhook bench: ${EVENTS} events per throughput run, ${BURST}-event burst; Postgres ${process.env.DATABASE_URL!.replace(/\/\/[^@]*@/, "//")}`);
for (const workers of [1, 2, 4]) {
  const r = await throughput(workers);
  console.log(
    `throughput  workers=${r.workers} events=${r.events} ${r.perSecond} deliveries/s (${r.seconds.toFixed(1)} s)  commit->delivery p50=${r.p50} ms p99=${r.p99} ms  duplicates=${r.duplicates}`,
  );
}
const p = await priorityLane(2);
console.log(
  `priority    workers=${p.workers} burst=${p.burst} (written in ${p.writeSeconds.toFixed(1)} s, delivered by ${p.drainSeconds.toFixed(1)} s)  user.deleted commit->delivery p50=${p.deletionP50} ms p99=${p.deletionP99} ms max=${p.deletionMax} ms`,
);
process.exit(0);
