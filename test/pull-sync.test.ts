// Pull sync of an "azure graph" directory end to end: REST API -> scheduler -> Entra connector (real
// Graph SDK) -> Graph emulator, and back through normalize and the reconciler into the database.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it, onTestFinished } from "vitest";
import { acquireSyncLease } from "../src/sync/pull-directories.js";
import { PullSyncScheduler, stopBackgroundSyncs } from "../src/sync/scheduler.js";
import { startSyncRun } from "../src/sync/sync-runs.js";
import { backgroundJobs } from "../src/worker.js";
import { listDirectoryEventsBySeq, type DirectoryScope } from "../src/sync/index.js";
import { GraphEmulator } from "./emulators/graph/index.js";
import { createHarness, type Harness } from "./harness.js";
import { postSync, waitForRun } from "./support/sync-run.js";

let h: Harness;
let emulator: GraphEmulator;
let graphUrl: string;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());
beforeEach(async () => {
  emulator = new GraphEmulator({ deltaPageSize: 4, deltaLinkCap: 6 });
  graphUrl = await emulator.listen();
});
afterEach(() => emulator.close());

interface EntraDirectory extends DirectoryScope {
  body: any;
}

/** A fresh organization with an "azure graph" directory pointed at this test's emulator; deleted after the test. */
async function entraDirectory(options: { secret?: string; settings?: Record<string, unknown> } = {}): Promise<EntraDirectory> {
  const org = await h.json("POST", "/organizations", { name: "Contoso" });
  const res = await h.request("POST", "/directories", {
    organization_id: org.id,
    type: "azure graph",
    name: "Contoso Entra",
    credentials: { tenant_id: emulator.tenantId, client_id: emulator.clientId, client_secret: options.secret ?? emulator.clientSecret },
    settings: { graph_endpoint: graphUrl, login_authority: graphUrl, ...options.settings },
  });
  expect(res.status).toBe(201);
  const body: any = await res.json();
  // Deleting keeps later scheduler steps from finding this directory due after its emulator is gone.
  onTestFinished(async () => void (await h.request("DELETE", `/directories/${body.id}`)));
  return { organizationId: org.id, directoryId: body.id, body };
}

/** POST /sync (202, or 201 for a dry run) and the run once it has finished. */
const sync = (dir: DirectoryScope, query = ""): Promise<any> => postSync(h, dir.directoryId, query);

async function users(dir: DirectoryScope): Promise<any[]> {
  return (await h.json("GET", `/directory_users?directory=${dir.directoryId}&limit=100`)).data;
}

async function eventTypes(dir: DirectoryScope): Promise<string[]> {
  return (await listDirectoryEventsBySeq(h.deps.db, dir.directoryId)).map((e) => e.event);
}

describe("creating an azure graph directory", () => {
  it("checks the credentials and links the directory, emitting dsync.activated", async () => {
    const dir = await entraDirectory();
    expect(dir.body).toMatchObject({ type: "azure graph", state: "linked", sync: { state_reason: null, has_credentials: true } });
    expect(JSON.stringify(dir.body)).not.toContain(emulator.clientSecret);
    expect(await eventTypes(dir)).toEqual(["dsync.activated"]);
    const requests = emulator.requests.map((r) => r.url);
    expect(requests.some((u) => u.startsWith("/v1.0/users?"))).toBe(true);
  });

  it("reports invalid_credentials with the reason, readable on the directory", async () => {
    const dir = await entraDirectory({ secret: "not-the-secret" });
    expect(dir.body.state).toBe("invalid_credentials");
    const read = await h.json("GET", `/directories/${dir.directoryId}`);
    expect(read.sync.state_reason).toMatch(/invalid_client.*AADSTS7000215/);
    expect(await eventTypes(dir)).toEqual([]);
  });

  it("rejects malformed credentials and settings naming the fields, before creating anything", async () => {
    const org = await h.json("POST", "/organizations", { name: "Contoso" });
    const res = await h.request("POST", "/directories", {
      organization_id: org.id,
      type: "azure graph",
      name: "Broken",
      credentials: { tenant_id: "t", client_id: "" },
      settings: { graph_endpoint: "ftp://x", deletion_threshold_percent: 200 },
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(JSON.stringify(body)).toMatch(/credentials\.client_id/);
    expect((await h.json("GET", `/directories?organization_id=${org.id}`)).data).toEqual([]);
  });

  it("stores the client secret encrypted: the raw secret is nowhere in the database", async () => {
    const dir = await entraDirectory();
    const dump = await h.deps.db.execute(sql`select row_to_json(p)::text as row from pull_directories p where directory_id = ${dir.directoryId}`);
    const text = JSON.stringify(dump);
    expect(text).toContain("v1:");
    expect(text).not.toContain(emulator.clientSecret);
    const everywhere = await h.deps.db.execute(
      sql`select count(*)::int as n from (select row_to_json(d)::text t from directories d union all select row_to_json(e)::text from events e union all select row_to_json(s)::text from sync_runs s) x where t like ${"%" + emulator.clientSecret + "%"}`,
    );
    expect(JSON.stringify(everywhere)).toMatch(/"n":0/);
  });
});

describe("full and delta sync", () => {
  it("runs a full sync: users, groups and memberships arrive, the run is recorded", async () => {
    emulator.tenant.seed({ users: 9, groups: 2, membersPerGroup: 7 });
    const dir = await entraDirectory();
    const run = await sync(dir);
    expect(run).toMatchObject({ object: "directory_sync_run", kind: "full", status: "succeeded", users_seen: 9, groups_seen: 2, created: 11, deleted: 0 });
    expect(run.counts.memberships.added).toBe(14);
    const list = await users(dir);
    expect(list).toHaveLength(9);
    const graphUser = [...emulator.tenant.users.values()][0]!;
    const stored = list.find((u) => u.idp_id === graphUser.id);
    expect(stored).toMatchObject({ email: graphUser.mail, username: graphUser.userPrincipalName, first_name: graphUser.givenName, state: "active" });
    expect(stored.raw_attributes).toMatchObject({ id: graphUser.id, accountEnabled: true });
    const runs = await h.json("GET", `/directories/${dir.directoryId}/sync_runs`);
    expect(runs).toMatchObject({ object: "list", data: [{ id: run.id, status: "succeeded" }], list_metadata: { before: null, after: null } });
    // The same snapshot again changes nothing and emits nothing.
    const before = (await eventTypes(dir)).length;
    const again = await sync(dir, "?full=true");
    expect(again).toMatchObject({ status: "succeeded", created: 0, updated: 0, deleted: 0 });
    expect((await eventTypes(dir)).length).toBe(before);
  });

  it("answers POST /sync at once with the running run, which finishes in the background under the lease", async () => {
    emulator.tenant.seed({ users: 5, groups: 1, membersPerGroup: 2 });
    const dir = await entraDirectory();
    // Graph throttles the first page for a second: the run is certainly still going when we look.
    emulator.throttle(1, { status: 429, retryAfter: 1, path: "/users/delta" });
    const res = await h.request("POST", `/directories/${dir.directoryId}/sync`);
    expect(res.status).toBe(202);
    const started: any = await res.json();
    expect(started).toMatchObject({ object: "directory_sync_run", status: "running", kind: "full", trigger: "manual", dry_run: false, finished_at: null });
    expect(res.headers.get("location")).toBe(`/directories/${dir.directoryId}/sync_runs/${started.id}`);
    expect(await h.json("GET", `/directories/${dir.directoryId}/sync_runs/${started.id}`)).toMatchObject({ status: "running" });
    // The lease is held by the background run: another request is refused, not queued.
    expect((await h.request("POST", `/directories/${dir.directoryId}/sync`)).status).toBe(409);
    const finished = await waitForRun(h, dir.directoryId, started.id);
    expect(finished).toMatchObject({ id: started.id, status: "succeeded", users_seen: 5, groups_seen: 1 });
    expect(finished.finished_at).not.toBeNull();
    expect(await users(dir)).toHaveLength(5);
  });

  it("applies a delta: creates, updates, soft deletes deactivate, hard deletes delete, memberships follow", async () => {
    emulator.tenant.seed({ users: 6, groups: 1, membersPerGroup: 3 });
    const dir = await entraDirectory();
    await sync(dir);
    const [groupId] = [...emulator.tenant.groups.keys()];
    const [a, b, c, , , f] = [...emulator.tenant.users.keys()];
    const added = emulator.tenant.newUser({ givenName: "Nina" });
    emulator.tenant.updateUser(a!, { jobTitle: "Chief Architect" });
    emulator.tenant.softDeleteUser(b!);
    emulator.tenant.hardDeleteUser(f!);
    emulator.tenant.addMember(groupId!, added.id);
    emulator.tenant.removeMember(groupId!, c!);
    const eventsBefore = (await eventTypes(dir)).length;

    const run = await sync(dir);
    expect(run).toMatchObject({ kind: "incremental", status: "succeeded", created: 1, deleted: 1 });
    expect(run.counts.users).toMatchObject({ created: 1, updated: 1, deactivated: 1, deleted: 1 });
    // c's removal, plus b's memberships, which Entra drops with a soft-deleted user.
    expect(run.counts.memberships.added).toBe(1);
    expect(run.counts.memberships.removed).toBeGreaterThanOrEqual(1);
    // The delta went through the saved deltaLink, not a new initial round.
    expect(emulator.requests.at(-1)!.url).toContain("$deltatoken=");
    const list = await users(dir);
    const byIdp = new Map(list.map((u) => [u.idp_id, u]));
    expect(byIdp.get(a!).job_title).toBe("Chief Architect");
    expect(byIdp.get(b!).state).toBe("inactive");
    expect(byIdp.has(f!)).toBe(false);
    expect(byIdp.get(added.id).groups.map((g: any) => g.idp_id)).toEqual([groupId]);
    expect(byIdp.get(c!).groups).toEqual([]);
    const emitted = (await eventTypes(dir)).slice(eventsBefore);
    const removedEdges = run.counts.memberships.removed;
    expect(emitted.sort()).toEqual(
      ["dsync.group.user_added", ...Array(removedEdges).fill("dsync.group.user_removed"), "dsync.user.created", "dsync.user.deleted", "dsync.user.updated", "dsync.user.updated"].sort(),
    );
  });

  it("flattens nested groups as Google does, and re-flattens with a full run when a nested group changes", async () => {
    const [u1, u2, u3, u4] = ["Ann", "Ben", "Cal", "Dee"].map((givenName) => emulator.tenant.newUser({ givenName }, false).id);
    const inner = emulator.tenant.newGroup({ displayName: "Inner" }, [u2!, u3!], false);
    const outer = emulator.tenant.newGroup({ displayName: "Outer" }, [u1!, inner.id], false);
    const dir = await entraDirectory();
    await sync(dir);
    const groups = (await h.json("GET", `/directory_groups?directory=${dir.directoryId}&limit=100`)).data;
    // The canonical model has user memberships only: both groups are groups, neither is a member.
    expect(groups.map((g: any) => g.name).sort()).toEqual(["Inner", "Outer"]);
    const members = async (idp: string) => {
      const group = groups.find((g: any) => g.idp_id === idp);
      return (await h.json("GET", `/directory_users?group=${group.id}&limit=100`)).data.map((u: any) => u.idp_id).sort();
    };
    expect(await members(outer.id)).toEqual([u1, u2, u3].sort());
    expect(await members(inner.id)).toEqual([u2, u3].sort());

    emulator.tenant.addMember(inner.id, u4!);
    emulator.tenant.removeMember(inner.id, u2!);
    const run = await sync(dir);
    expect(run).toMatchObject({ kind: "full", status: "succeeded" });
    expect(run.errors[0].message).toMatch(/nested group/);
    expect(await members(outer.id)).toEqual([u1, u3, u4].sort());
    expect(await members(inner.id)).toEqual([u3, u4].sort());
  });

  it("falls back to a full resync on 410 Gone and sweeps what vanished while the token was dead", async () => {
    emulator.tenant.seed({ users: 8 });
    const dir = await entraDirectory();
    await sync(dir);
    const [gone] = [...emulator.tenant.users.keys()];
    // Removed without a journal entry: a delta could never report it, only a full resync finds it.
    emulator.tenant.users.delete(gone!);
    emulator.forceResync();
    const run = await sync(dir);
    expect(run).toMatchObject({ kind: "full", status: "succeeded", deleted: 1 });
    expect(run.errors[0].message).toMatch(/full resync/);
    expect((await users(dir)).map((u) => u.idp_id)).not.toContain(gone);
  });

  it("honours 429 and 503 with Retry-After and still completes the run", async () => {
    emulator.tenant.seed({ users: 3 });
    const dir = await entraDirectory();
    emulator.throttle(1, { status: 429, retryAfter: 1, path: "/users/delta" });
    emulator.throttle(1, { status: 503, retryAfter: 1, path: "/groups/delta" });
    const run = await sync(dir);
    expect(run).toMatchObject({ status: "succeeded", users_seen: 3 });
    const delta = emulator.requests.filter((r) => r.url.startsWith("/v1.0/users/delta"));
    expect(delta.length).toBe(2);
    expect(delta[1]!.at - delta[0]!.at).toBeGreaterThanOrEqual(950);
  });
});

describe("safety", () => {
  it("holds a snapshot that would delete over the threshold until the operator confirms", async () => {
    emulator.tenant.seed({ users: 10 });
    const dir = await entraDirectory();
    await sync(dir);
    const ids = [...emulator.tenant.users.keys()];
    for (const id of ids.slice(0, 4)) emulator.tenant.users.delete(id);
    const held = await sync(dir, "?full=true");
    expect(held.status).toBe("needs_confirmation");
    expect(held.preview.deletions).toMatchObject({ users: 4, total_users: 10 });
    expect(held.preview.deletions.sample_users.map((u: any) => u.idp_id).sort()).toEqual(ids.slice(0, 4).sort());
    expect(await users(dir)).toHaveLength(10);
    // Nothing else runs while a decision is pending.
    expect((await h.request("POST", `/directories/${dir.directoryId}/sync`)).status).toBe(409);
    h.clock.advance(25 * 3600 * 1000);
    expect((await new PullSyncScheduler(h.deps).runOnce()).filter((r) => r.directory_id === dir.directoryId)).toEqual([]);

    const confirmed = await h.json("POST", `/directories/${dir.directoryId}/sync_runs/${held.id}/confirm`);
    expect(confirmed).toMatchObject({ id: held.id, status: "succeeded", deleted: 4 });
    expect(await users(dir)).toHaveLength(6);
    expect((await eventTypes(dir)).filter((e) => e === "dsync.user.deleted")).toHaveLength(4);
    expect((await h.request("POST", `/directories/${dir.directoryId}/sync_runs/${held.id}/confirm`)).status).toBe(409);
  });

  it("a rejected held run deletes nothing", async () => {
    emulator.tenant.seed({ users: 5 });
    const dir = await entraDirectory();
    await sync(dir);
    for (const id of [...emulator.tenant.users.keys()].slice(0, 3)) emulator.tenant.users.delete(id);
    const held = await sync(dir, "?full=true");
    expect(held.status).toBe("needs_confirmation");
    const rejected = await h.json("POST", `/directories/${dir.directoryId}/sync_runs/${held.id}/reject`);
    expect(rejected.status).toBe("rejected");
    expect(await users(dir)).toHaveLength(5);
  });

  it("a dry run returns the diff and writes and emits nothing", async () => {
    emulator.tenant.seed({ users: 7, groups: 1, membersPerGroup: 2 });
    const dir = await entraDirectory();
    const eventsBefore = await eventTypes(dir);
    const run = await sync(dir, "?dry_run=true");
    expect(run).toMatchObject({ dry_run: true, status: "succeeded", kind: "full", created: 8 });
    expect(run.preview.events.by_type).toMatchObject({ "dsync.user.created": 7, "dsync.group.created": 1, "dsync.group.user_added": 2 });
    expect(run.preview.events.sample[0]).toMatchObject({ event: "dsync.user.created", data: { object: "directory_user" } });
    expect(await users(dir)).toEqual([]);
    expect(await eventTypes(dir)).toEqual(eventsBefore);
    // No cursor was kept: the next real run is a full one.
    expect((await sync(dir)).kind).toBe("full");
  });
});

describe("scheduling and leases", () => {
  it("runs incremental syncs every 15 minutes and a full one every 24 hours", async () => {
    emulator.tenant.seed({ users: 2 });
    const dir = await entraDirectory();
    const scheduler = new PullSyncScheduler(h.deps, { holder: "worker-a" });
    const mine = async () => (await scheduler.runOnce()).filter((r) => r.directory_id === dir.directoryId);
    expect((await mine()).map((r) => r.kind)).toEqual(["full"]);
    expect(await mine()).toEqual([]);
    h.clock.advance(15 * 60 * 1000);
    expect((await mine()).map((r) => r.kind)).toEqual(["incremental"]);
    h.clock.advance(24 * 3600 * 1000);
    expect((await mine()).map((r) => r.kind)).toEqual(["full"]);
  });

  it("is run by the worker: the pull-sync job syncs a newly linked directory", async () => {
    emulator.tenant.seed({ users: 3 });
    const dir = await entraDirectory();
    const job = backgroundJobs.find((j) => j.name === "pull-sync")!;
    const handle = job.start({ ...h.deps, config: { ...h.deps.config, DSYNC_SYNC_POLL_MS: 50 } });
    try {
      await expect.poll(async () => (await users(dir)).length, { timeout: 10_000 }).toBe(3);
    } finally {
      await handle.stop();
    }
    const runs = await h.json("GET", `/directories/${dir.directoryId}/sync_runs`);
    expect(runs.data).toMatchObject([{ trigger: "schedule", kind: "full", status: "succeeded" }]);
  });

  it("gives each directory to one scheduler at a time", async () => {
    emulator.tenant.seed({ users: 20 });
    const dir = await entraDirectory();
    const a = new PullSyncScheduler(h.deps, { holder: "worker-a" });
    const b = new PullSyncScheduler(h.deps, { holder: "worker-b" });
    const runs = (await Promise.all([a.runOnce(), b.runOnce()])).flat().filter((r) => r.directory_id === dir.directoryId);
    expect(runs).toHaveLength(1);
    const all = await h.json("GET", `/directories/${dir.directoryId}/sync_runs`);
    expect(all.data).toHaveLength(1);
  });

  it("takes over a dead worker's run once its lease expires", async () => {
    emulator.tenant.seed({ users: 2 });
    const dir = await entraDirectory();
    // A worker took the lease, started a run and died.
    const now = h.clock.now();
    expect(await acquireSyncLease(h.deps.db, dir.directoryId, "dead-worker", "sync_run_dead", now, 60_000)).not.toBeNull();
    await startSyncRun(h.deps.db, dir, { id: "sync_run_dead", kind: "full", trigger: "schedule", dryRun: false }, now);
    const scheduler = new PullSyncScheduler(h.deps, { holder: "worker-b", leaseMs: 60_000 });
    expect((await scheduler.runOnce()).filter((r) => r.directory_id === dir.directoryId)).toEqual([]);
    expect((await h.request("POST", `/directories/${dir.directoryId}/sync`)).status).toBe(409);
    h.clock.advance(61_000);
    const runs = (await scheduler.runOnce()).filter((r) => r.directory_id === dir.directoryId);
    expect(runs).toMatchObject([{ status: "succeeded", kind: "full" }]);
    const dead = await h.json("GET", `/directories/${dir.directoryId}/sync_runs/sync_run_dead`);
    expect(dead.status).toBe("abandoned");
  });

  it("stops a background run at shutdown: the run fails with the reason and the lease is free again", async () => {
    emulator.tenant.seed({ users: 30 });
    const dir = await entraDirectory();
    emulator.throttle(1, { status: 429, retryAfter: 1, path: "/users/delta" });
    const res = await h.request("POST", `/directories/${dir.directoryId}/sync`);
    expect(res.status).toBe(202);
    const started: any = await res.json();
    await stopBackgroundSyncs(h.deps);
    const stopped = await h.json("GET", `/directories/${dir.directoryId}/sync_runs/${started.id}`);
    expect(stopped).toMatchObject({ status: "failed", errors: [{ message: "the gateway is shutting down" }] });
    expect((await postSync(h, dir.directoryId, "?full=true")).status).toBe("succeeded");
  });

  it("marks the directory invalid_credentials when a scheduled run is refused", async () => {
    emulator.tenant.seed({ users: 2 });
    const dir = await entraDirectory();
    const fresh = new GraphEmulator({ tenantId: emulator.tenantId, clientId: emulator.clientId });
    // Same tenant and client, rotated secret: the stored one no longer works.
    (emulator as unknown as { clientSecret: string }).clientSecret = fresh.clientSecret;
    const run = await sync(dir);
    expect(run).toMatchObject({ status: "failed" });
    expect(run.errors[0].message).toMatch(/AADSTS7000215/);
    const read = await h.json("GET", `/directories/${dir.directoryId}`);
    expect(read).toMatchObject({ state: "invalid_credentials", sync: { state_reason: expect.stringMatching(/invalid_client/) } });

    // The operator stores the rotated secret: checked, linked again, and the next run is full.
    const res = await h.request("PUT", `/directories/${dir.directoryId}/credentials`, {
      credentials: { tenant_id: emulator.tenantId, client_id: emulator.clientId, client_secret: fresh.clientSecret },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: "linked", sync: { state_reason: null, settings: { graph_endpoint: graphUrl } } });
    expect((await sync(dir)).kind).toBe("full");
  });
});
