import { WorkOS } from "@workos-inc/node";
import { Webhook } from "svix";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { ops, type DirectoryScope } from "../src/sync/index.js";
import { dispatchEvents, WebhookWorker } from "../src/webhooks/index.js";
import { createHarness, type Harness } from "./harness.js";
import { WebhookSink } from "./support/webhook-sink.js";

let h: Harness;
let worker: WebhookWorker;
const sinks: WebhookSink[] = [];
const HOUR = 3_600_000;

beforeAll(async () => {
  h = await createHarness({
    DSYNC_ALLOW_PRIVATE_WEBHOOKS: "1",
    // Generous, so a loaded test machine never turns a slow answer into a retry; the timeout test
    // uses its own worker with a short one.
    DSYNC_WEBHOOK_TIMEOUT_MS: "5000",
    DSYNC_WEBHOOK_DISABLE_AFTER_FAILURES: "3",
    DSYNC_WEBHOOK_DISABLE_AFTER_HOURS: "1",
    DSYNC_WEBHOOK_BATCH_SIZE: "10",
  });
  // Signatures carry the clock's time and verifiers compare it with the real time.
  h.clock.advance(Date.now() - h.clock.now().getTime());
  worker = new WebhookWorker(h.deps);
});
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});
afterAll(() => h.close());

async function sinkAndEndpoint(scope: DirectoryScope, extra: Record<string, unknown> = {}) {
  const sink = await WebhookSink.start();
  sinks.push(sink);
  const endpoint = await h.json("POST", "/webhook_endpoints", { url: sink.url, organization_id: scope.organizationId, ...extra });
  return { sink, endpoint };
}

const rowsOf = (r: unknown) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as Record<string, unknown>[];

/**
 * True once the dispatcher has passed every event committed before `drain` began. On Postgres
 * other test files write at the same time, and an event becomes visible to the dispatcher only
 * when every transaction older than it has ended, so "a step found nothing" is not enough.
 */
async function dispatchedUpTo(target: Record<string, unknown> | undefined): Promise<boolean> {
  if (!target) return true;
  const [row] = rowsOf(
    await h.deps.db.execute(
      sql`select (c.txid, c.position) >= (${String(target.txid)}::xid8, ${Number(target.position)}::bigint) as done from webhook_dispatch_cursor c`,
    ),
  );
  return row?.done === true;
}

async function lastEvent() {
  return rowsOf(await h.deps.db.execute(sql`select txid::text as txid, position from events order by txid desc, position desc limit 1`))[0];
}

/** Fans out everything committed so far, claiming nothing. */
async function dispatchAll() {
  const target = await lastEvent();
  for (let i = 0; i < 500; i++) {
    await dispatchEvents(h.deps.db, h.clock.now(), 10_000);
    if (await dispatchedUpTo(target)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("events did not settle");
}

/** Runs worker steps until everything committed so far is fanned out and a step finds nothing to do. */
async function drain(w = worker, maxSteps = 500) {
  const target = await lastEvent();
  for (let i = 0; i < maxSteps; i++) {
    const step = await w.runOnce();
    if (step.dispatched === 0 && step.sent === 0) {
      if (await dispatchedUpTo(target)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error("worker did not settle");
}

const user = (idp: string, extra: Record<string, unknown> = {}) => ({ idp_id: idp, email: `${idp}@acme.test`, first_name: idp, ...extra });

describe("signatures", () => {
  it("signs each delivery so svix's Webhook.verify and the WorkOS SDK's constructEvent accept it", async () => {
    const scope = await h.directory();
    const { sink, endpoint } = await sinkAndEndpoint(scope, { workos_signature: true });
    expect(endpoint.secret).toMatch(/^whsec_/);
    const { user: alice } = await h.deps.reconciler.upsertUser(scope, user("alice"));
    await drain();

    expect(sink.requests).toHaveLength(1);
    const [req] = sink.requests;
    expect(req!.body).toBe(JSON.stringify(JSON.parse(req!.body)));
    expect(req!.json).toMatchObject({ object: "event", event: "dsync.user.created", data: { id: alice.id } });
    expect(Object.keys(req!.json)).toEqual(["object", "id", "event", "data", "created_at"]);
    expect(req!.headers["webhook-id"]).toBe(req!.json.id);

    const verified = new Webhook(endpoint.secret).verify(req!.body, req!.headers as Record<string, string>);
    expect(verified).toEqual(req!.json);
    expect(() => new Webhook(`whsec_${Buffer.from("another secret, 24 bytes").toString("base64")}`).verify(req!.body, req!.headers as Record<string, string>)).toThrow();

    expect(req!.headers["workos-signature"]).toMatch(/^t=\d{13}, v1=[0-9a-f]{64}$/);
    const workos = new WorkOS("sk_test_webhooks");
    const event = await workos.webhooks.constructEvent({
      payload: JSON.parse(req!.body),
      sigHeader: req!.headers["workos-signature"] as string,
      secret: endpoint.secret,
    });
    expect(event).toMatchObject({ id: req!.json.id, event: "dsync.user.created" });
    await expect(
      workos.webhooks.constructEvent({ payload: JSON.parse(req!.body), sigHeader: req!.headers["workos-signature"] as string, secret: "wrong" }),
    ).rejects.toThrow();
    await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`);
  });

  it("signs with both the old and the new secret for 24 hours after a rotation", async () => {
    const scope = await h.directory();
    const { sink, endpoint } = await sinkAndEndpoint(scope);
    const rotated = await h.json("POST", `/webhook_endpoints/${endpoint.id}/rotate_secret`);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    await h.deps.reconciler.upsertUser(scope, user("bob"));
    await drain();
    const [req] = sink.requests;
    expect(String(req!.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    for (const secret of [endpoint.secret, rotated.secret]) {
      expect(new Webhook(secret).verify(req!.body, req!.headers as Record<string, string>)).toEqual(req!.json);
    }

    h.clock.advance(25 * HOUR);
    await h.deps.reconciler.upsertUser(scope, user("carol"));
    await drain();
    const later = sink.requests[1]!;
    const signatures = String(later.headers["webhook-signature"]).split(" ");
    const at = new Date(Number(later.headers["webhook-timestamp"]) * 1000);
    expect(signatures).toEqual([new Webhook(rotated.secret).sign(later.json.id, at, later.body)]);
    await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`);
  });

  it("returns the secret only at creation and rotation, and stores it encrypted", async () => {
    const scope = await h.directory();
    const { endpoint } = await sinkAndEndpoint(scope);
    expect((await h.json("GET", `/webhook_endpoints/${endpoint.id}`)).secret).toBeUndefined();
    const list = await h.json("GET", "/webhook_endpoints?limit=100");
    expect(list.data.find((e: any) => e.id === endpoint.id)).toMatchObject({ object: "webhook_endpoint", url: endpoint.url });
    expect(JSON.stringify(list)).not.toContain(endpoint.secret);
    const patched = await h.json("PATCH", `/webhook_endpoints/${endpoint.id}`, { events: ["dsync.user.deleted"] });
    expect(patched.secret).toBeUndefined();
    const stored = JSON.stringify(await h.deps.db.execute(`select * from webhook_endpoints where id = '${endpoint.id}'`));
    expect(stored).not.toContain(endpoint.secret.slice(6));
    await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`);
  });
});

describe("retries and order", () => {
  it("delivers one user's events in order while the first is retried, without holding back other users", async () => {
    const scope = await h.directory();
    const { sink, endpoint } = await sinkAndEndpoint(scope);
    const { user: alice } = await h.deps.reconciler.upsertUser(scope, user("alice"));
    await h.deps.reconciler.upsertUser(scope, user("alice", { job_title: "CTO" }));
    await h.deps.reconciler.upsertUser(scope, user("bob"));
    const aliceEvent = (r: { json: { data: Record<string, any> } }) => r.json.data.id === alice.id;
    sink.failNext(2, 500, aliceEvent);

    await drain();
    expect(sink.delivered.map((r) => r.json.data.first_name)).toEqual(["bob"]);
    for (let i = 0; i < 4; i++) {
      h.clock.advance(HOUR / 2);
      await drain();
    }
    const forAlice = sink.requests.filter(aliceEvent).map((r) => [r.json.event, r.answer]);
    expect(forAlice).toEqual([
      ["dsync.user.created", 500],
      ["dsync.user.created", 500],
      ["dsync.user.created", 200],
      ["dsync.user.updated", 200],
    ]);
    await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`);
  });

  it("retries 500s and timeouts with backoff and logs every attempt", async () => {
    const scope = await h.directory();
    const { sink, endpoint } = await sinkAndEndpoint(scope);
    const impatient = new WebhookWorker({ ...h.deps, config: { ...h.deps.config, DSYNC_WEBHOOK_TIMEOUT_MS: 300 } });
    sink.failNext(1, 500);
    sink.failNext(1, "hang");
    await h.deps.reconciler.upsertUser(scope, user("dave"));
    await drain(impatient);
    expect(sink.requests).toHaveLength(1);
    await drain(impatient); // the retry is not due yet
    expect(sink.requests).toHaveLength(1);
    h.clock.advance(20_000);
    await drain(impatient);
    expect(sink.requests.map((r) => r.answer)).toEqual([500, "hang"]);
    h.clock.advance(30_000);
    await drain(impatient);
    expect(sink.requests.map((r) => r.answer)).toEqual([500, "hang", 200]);
    expect(new Set(sink.requests.map((r) => r.headers["webhook-id"])).size).toBe(1);

    const log = await h.json("GET", `/webhook_endpoints/${endpoint.id}/deliveries`);
    expect(log.data.map((a: any) => [a.attempt, a.status_code, a.delivery_state])).toEqual([
      [3, 200, "delivered"],
      [2, null, "delivered"],
      [1, 500, "delivered"],
    ]);
    expect(log.data[2]).toMatchObject({ event_type: "dsync.user.created", response_snippet: "failure 500" });
    expect(log.data[2].next_attempt_at).not.toBeNull();
    expect(log.data[1].error).toMatch(/timed out/);
    expect(log.data[1].latency_ms).toBeGreaterThanOrEqual(250);
    expect(log.data[0].next_attempt_at).toBeNull();
    await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`);
  });

  it("marks a delivery failed after the last attempt and moves that user's queue on", async () => {
    const scope = await h.directory();
    const { sink, endpoint } = await sinkAndEndpoint(scope);
    const twoTries = new WebhookWorker({ ...h.deps, config: { ...h.deps.config, DSYNC_WEBHOOK_MAX_ATTEMPTS: 2, DSYNC_WEBHOOK_DISABLE_AFTER_FAILURES: 100 } });
    const { user: erin } = await h.deps.reconciler.upsertUser(scope, user("erin"));
    await h.deps.reconciler.deleteUser(scope, { id: erin.id });
    sink.failNext(2, 500);
    await drain(twoTries);
    h.clock.advance(HOUR);
    await drain(twoTries);
    expect(sink.requests.map((r) => [r.json.event, r.answer])).toEqual([
      ["dsync.user.created", 500],
      ["dsync.user.created", 500],
      ["dsync.user.deleted", 200],
    ]);
    const log = await h.json("GET", `/webhook_endpoints/${endpoint.id}/deliveries?order=asc`);
    expect(log.data.map((a: any) => a.delivery_state)).toEqual(["failed", "failed", "delivered"]);
    await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`);
  });
});

describe("endpoint health", () => {
  it("disables an endpoint after a run of failures lasting long enough, and resumes when re-enabled", async () => {
    const scope = await h.directory();
    const { sink, endpoint } = await sinkAndEndpoint(scope);
    sink.failAll(500);
    for (const name of ["f1", "f2", "f3", "f4"]) await h.deps.reconciler.upsertUser(scope, user(name));
    await drain();
    // Four failures in a second: not yet disabled, the run must also last an hour.
    expect((await h.json("GET", `/webhook_endpoints/${endpoint.id}`)).enabled).toBe(true);
    h.clock.advance(2 * HOUR);
    await drain();
    const disabled = await h.json("GET", `/webhook_endpoints/${endpoint.id}`);
    expect(disabled).toMatchObject({ enabled: false, disabled_reason: "failing" });

    sink.reset();
    const before = sink.requests.length;
    h.clock.advance(2 * HOUR);
    await drain();
    expect(sink.requests.length).toBe(before);

    const enabled = await h.json("PATCH", `/webhook_endpoints/${endpoint.id}`, { enabled: true });
    expect(enabled).toMatchObject({ enabled: true, disabled_reason: null, consecutive_failures: 0 });
    await drain();
    expect(new Set(sink.delivered.map((r) => r.json.data.first_name))).toEqual(new Set(["f1", "f2", "f3", "f4"]));
    await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`);
  });

  it("disables an endpoint at once when it answers 410 Gone", async () => {
    const scope = await h.directory();
    const { sink, endpoint } = await sinkAndEndpoint(scope);
    sink.failNext(1, 410);
    await h.deps.reconciler.upsertUser(scope, user("gone"));
    await drain();
    expect(await h.json("GET", `/webhook_endpoints/${endpoint.id}`)).toMatchObject({ enabled: false, disabled_reason: "gone" });
    await h.json("PUT", `/webhook_endpoints/${endpoint.id}`, { enabled: true });
    h.clock.advance(HOUR);
    await drain();
    expect(sink.requests.map((r) => r.answer)).toEqual([410, 200]);
    await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`);
  });
});

describe("priority lane", () => {
  it("delivers a user.deleted created after 500 pending bulk events first", async () => {
    const scope = await h.directory();
    const { sink, endpoint } = await sinkAndEndpoint(scope);
    const { user: leaver } = await h.deps.reconciler.upsertUser(scope, user("leaver"));
    await drain();
    const bulk = Array.from({ length: 500 }, (_, i) => user(`bulk${i}`));
    await h.deps.reconciler.write(scope, (w) => ops.upsertUsers(w, bulk));
    // A user created in the bulk and deleted at once: its creation joins the lane with its deletion.
    const { user: brief } = await h.deps.reconciler.upsertUser(scope, user("brief"));
    await dispatchAll();
    await h.deps.reconciler.deleteUser(scope, { id: leaver.id });
    await h.deps.reconciler.deleteUser(scope, { id: brief.id });
    await dispatchAll(); // fan out the deletions too, so the next step only claims

    await worker.runOnce();
    const firstBatch = sink.requests.slice(1).map((r) => `${r.json.event}:${r.json.data.first_name}`);
    expect(firstBatch).toHaveLength(10);
    expect(firstBatch).toEqual(expect.arrayContaining(["dsync.user.deleted:leaver", "dsync.user.created:brief"]));
    await worker.runOnce();
    expect(sink.requests.slice(1, 21).map((r) => `${r.json.event}:${r.json.data.first_name}`)).toContain("dsync.user.deleted:brief");
    await drain();
    expect(sink.delivered).toHaveLength(1 + 500 + 1 + 2);
    await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`);
  });

  it("treats deactivation as deprovisioning", async () => {
    const scope = await h.directory();
    const { sink, endpoint } = await sinkAndEndpoint(scope);
    const { user: quitter } = await h.deps.reconciler.upsertUser(scope, user("quitter"));
    await drain();
    await h.deps.reconciler.write(scope, (w) => ops.upsertUsers(w, Array.from({ length: 50 }, (_, i) => user(`more${i}`))));
    await dispatchAll();
    await h.deps.reconciler.deactivateUser(scope, { id: quitter.id });
    await dispatchAll();
    await worker.runOnce();
    expect(sink.requests.slice(1).some((r) => r.json.event === "dsync.user.updated" && r.json.data.state === "inactive")).toBe(true);
    await drain();
    await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`);
  });
});

describe("fan-out, redelivery and replay", () => {
  it("sends only the event types and organization an endpoint asks for", async () => {
    const scope = await h.directory();
    const other = await h.directory();
    const { sink, endpoint } = await sinkAndEndpoint(scope, { events: ["dsync.user.deleted"] });
    const { user: u } = await h.deps.reconciler.upsertUser(scope, user("filtered"));
    await h.deps.reconciler.deleteUser(scope, { id: u.id });
    const { user: o } = await h.deps.reconciler.upsertUser(other, user("elsewhere"));
    await h.deps.reconciler.deleteUser(other, { id: o.id });
    await drain();
    expect(sink.requests.map((r) => [r.json.event, r.json.data.first_name])).toEqual([["dsync.user.deleted", "filtered"]]);
    await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`);
  });

  it("keys membership events by the user, after that user's creation", async () => {
    const scope = await h.directory();
    const { sink, endpoint } = await sinkAndEndpoint(scope);
    await h.deps.reconciler.upsertUser(scope, user("member"));
    await h.deps.reconciler.upsertGroup(scope, { idp_id: "g1", name: "Staff" });
    await h.deps.reconciler.addGroupMembers(scope, { idp_id: "g1" }, [{ idp_id: "member" }]);
    sink.failNext(1, 500, (r) => r.json.event === "dsync.user.created");
    await drain();
    expect(sink.delivered.map((r) => r.json.event)).toEqual(["dsync.group.created"]);
    h.clock.advance(HOUR);
    await drain();
    expect(sink.delivered.map((r) => r.json.event)).toEqual(["dsync.group.created", "dsync.user.created", "dsync.group.user_added"]);
    await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`);
  });

  it("sends an endpoint created later nothing older until replayed, and redelivers on request", async () => {
    const scope = await h.directory();
    const { user: early } = await h.deps.reconciler.upsertUser(scope, user("early"));
    await h.deps.reconciler.upsertUser(scope, user("early2"));
    await drain();
    h.clock.advance(1000);
    const { sink, endpoint } = await sinkAndEndpoint(scope);
    h.clock.advance(1000);
    await h.deps.reconciler.upsertUser(scope, user("late"));
    await drain();
    expect(sink.requests.map((r) => r.json.data.first_name)).toEqual(["late"]);

    await h.settle();
    const feed = await h.json("GET", `/events?directory_id=${scope.directoryId}&limit=10`);
    const firstEvent = feed.data.find((e: any) => e.data.id === early.id);
    const replay = await h.json("POST", `/webhook_endpoints/${endpoint.id}/replay`, { after: firstEvent.id });
    expect(replay).toMatchObject({ object: "webhook_replay", scheduled: 2 });
    await drain();
    // Different users: the two replayed deliveries go out together, in either order.
    expect(sink.requests.map((r) => r.json.data.first_name).sort()).toEqual(["early2", "late", "late"]);

    const res = await h.request("POST", `/webhook_endpoints/${endpoint.id}/deliveries/${firstEvent.id}/redeliver`);
    expect(res.status).toBe(202);
    await drain();
    expect(sink.requests.at(-1)!.json.id).toBe(firstEvent.id);
    expect(sink.requests.at(-1)!.headers["webhook-id"]).toBe(firstEvent.id);
    await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`);
  });
});

describe("REST validation", () => {
  it("answers 404 for an unknown endpoint and 400 naming bad fields", async () => {
    expect((await h.request("GET", "/webhook_endpoints/we_nope")).status).toBe(404);
    expect((await h.request("POST", "/webhook_endpoints/we_nope/rotate_secret")).status).toBe(404);
    const bad = await h.request("POST", "/webhook_endpoints", { url: "http://127.0.0.1/x", events: ["user.nope"] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).errors[0].field).toBe("events.0");
    const noOrg = await h.request("POST", "/webhook_endpoints", { url: "http://127.0.0.1/x", organization_id: "org_missing" });
    expect(noOrg.status).toBe(400);
    const endpoint = await h.json("POST", "/webhook_endpoints", { url: "http://127.0.0.1:9/x" });
    const badAfter = await h.request("POST", `/webhook_endpoints/${endpoint.id}/replay`, { after: "event_missing" });
    expect(badAfter.status).toBe(400);
    expect((await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`)).status).toBe(204);
    expect((await h.request("DELETE", `/webhook_endpoints/${endpoint.id}`)).status).toBe(404);
  });
});
