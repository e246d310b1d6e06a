// Concurrent writers on one directory never produce duplicate or lost events, and a reader following
// the feed with a cursor sees every event exactly once, in per-directory order. On Postgres the writers
// are separate connection pools (as separate processes would be); on PGlite they share the one connection.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../src/db/client.js";
import { listDirectoryEventsBySeq, listEvents, OPERATOR, Reconciler, type DirectoryScope } from "../src/sync/index.js";
import { createHarness, onPostgres, type Harness } from "./harness.js";

let h: Harness;
const extraPools: Database[] = [];

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  for (const pool of extraPools) await pool.close();
  await h.close();
});

/** Independent writers: on Postgres each has its own pool; on PGlite they share the only connection. */
async function writers(n: number): Promise<Reconciler[]> {
  const out: Reconciler[] = [];
  for (let i = 0; i < n; i++) {
    if (onPostgres) {
      const pool = await openDatabase({ url: process.env.DATABASE_URL, dataDir: "unused", poolSize: 4 });
      extraPools.push(pool);
      out.push(new Reconciler(pool.db, h.clock));
    } else {
      out.push(new Reconciler(h.deps.db, h.clock));
    }
  }
  return out;
}

async function readWholeFeed(after: string | undefined, directoryIds: Set<string>) {
  const seen: { id: string; directory_id: string }[] = [];
  let cursor = after;
  for (;;) {
    const page = await listEvents(h.deps.db, OPERATOR, {}, { limit: 100, order: "asc", after: cursor });
    for (const e of page.data) {
      const directoryId = (e.data as any).directory_id as string;
      if (directoryIds.has(directoryId)) seen.push({ id: e.id, directory_id: directoryId });
    }
    if (page.data.length === 0) return { seen, cursor };
    cursor = page.data.at(-1)!.id;
  }
}

describe("concurrent writers", () => {
  it("give every event of a directory a distinct, gap-free sequence number", async () => {
    const scope = await h.directory();
    const pool = await writers(4);
    const users = Array.from({ length: 120 }, (_, i) => ({ idp_id: `u${i}`, email: `u${i}@acme.test` }));
    // Each user is created by one writer and updated by another, all at once.
    await Promise.all(
      users.flatMap((u, i) => [
        pool[i % 4]!.upsertUser(scope, u),
        pool[(i + 1) % 4]!.upsertUser(scope, { ...u, job_title: "Engineer" }),
      ]),
    );
    const events = await listDirectoryEventsBySeq(h.deps.db, scope.directoryId);
    expect(events.map((e) => e.directory_seq)).toEqual(Array.from({ length: 240 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => e.id)).size).toBe(240);
    // Per user: exactly one create, then exactly one update, in that order.
    for (const u of users) {
      const mine = events.filter((e) => (e.data as any).idp_id === u.idp_id);
      expect(mine.map((e) => e.event)).toEqual(["dsync.user.created", "dsync.user.updated"]);
    }
  });

  it("never lose a membership when many writers add members to one group at once", async () => {
    const scope = await h.directory();
    const pool = await writers(3);
    await h.deps.reconciler.applySnapshot(scope, {
      users: Array.from({ length: 60 }, (_, i) => ({ idp_id: `m${i}` })),
      groups: [{ idp_id: "g", name: "Everyone" }],
      memberships: [],
    });
    await Promise.all(Array.from({ length: 60 }, (_, i) => pool[i % 3]!.addGroupMembers(scope, { idp_id: "g" }, [{ idp_id: `m${i}` }])));
    const members = await h.json(
      "GET",
      `/directory_users?directory=${scope.directoryId}&group=${(await h.json("GET", `/directory_groups?directory=${scope.directoryId}`)).data[0].id}&limit=100`,
    );
    expect(members.data).toHaveLength(60);
    const added = (await listDirectoryEventsBySeq(h.deps.db, scope.directoryId)).filter((e) => e.event === "dsync.group.user_added");
    expect(added).toHaveLength(60);
  });

  it("let a reader following the feed see each event exactly once, in each directory's order", async () => {
    const scopes: DirectoryScope[] = [await h.directory(), await h.directory(), await h.directory()];
    const ids = new Set(scopes.map((s) => s.directoryId));
    const pool = await writers(3);
    const { cursor: start } = await readWholeFeed(undefined, new Set());

    let writing = true;
    const reads: { id: string; directory_id: string }[] = [];
    const reader = (async () => {
      let cursor = start;
      while (writing) {
        const batch = await readWholeFeed(cursor, ids);
        reads.push(...batch.seen);
        cursor = batch.cursor;
      }
      reads.push(...(await readWholeFeed(cursor, ids)).seen);
    })();

    await Promise.all(
      scopes.flatMap((scope, s) =>
        Array.from({ length: 50 }, (_, i) => pool[(i + s) % 3]!.upsertUser(scope, { idp_id: `f${i}`, email: `f${i}@acme.test` })),
      ),
    );
    await h.settle();
    writing = false;
    await reader;

    expect(reads).toHaveLength(150);
    expect(new Set(reads.map((r) => r.id)).size).toBe(150);
    for (const scope of scopes) {
      const bySeq = (await listDirectoryEventsBySeq(h.deps.db, scope.directoryId)).map((e) => e.id);
      expect(reads.filter((r) => r.directory_id === scope.directoryId).map((r) => r.id)).toEqual(bySeq);
    }
  });
});
