// Group commit (src/sync/write-queue.ts): batched kinds get all their waiting inputs in one call, and
// with gatherMs a directory that is being written concurrently waits a moment for the writes of the
// callers it has just answered, while a single caller never waits.
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDirectoryEventsBySeq, ops, type BatchedWrite, type DirectoryWrite } from "../src/sync/index.js";
import { DirectoryWriter } from "../src/sync/write-queue.js";
import { rowsOf } from "../src/sync/bulk.js";
import { createHarness, onPostgres, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** A batched kind that records the inputs of each call and the transaction it ran in. */
function recordingKind(calls: { inputs: number[]; write: DirectoryWrite }[]): BatchedWrite<number, number> {
  return {
    name: "recording",
    async apply(w, inputs) {
      calls.push({ inputs, write: w });
      return inputs.map((n) => (n < 0 ? new Error(`negative: ${n}`) : n * 2));
    },
  };
}

describe("batched writes", () => {
  it("hand the inputs of consecutive waiting writes of a kind to one call, in order, around plain writes", async () => {
    const scope = await h.directory();
    const writer = new DirectoryWriter(h.deps.db, h.clock);
    const calls: { inputs: number[]; write: DirectoryWrite }[] = [];
    const kind = recordingKind(calls);
    const plain: DirectoryWrite[] = [];
    const results = await Promise.all([
      writer.runBatched(scope, kind, 1),
      writer.runBatched(scope, kind, 2),
      writer.run(scope, async (w) => (plain.push(w), "plain")),
      writer.runBatched(scope, kind, 3),
      writer.runBatched(scope, kind, -4).catch((e: Error) => e.message),
      writer.runBatched(scope, kind, 5),
    ]);
    expect(results).toEqual([2, 4, "plain", 6, "negative: -4", 10]);
    expect(calls.map((c) => c.inputs)).toEqual([[1, 2], [3, -4, 5]]);
    // One transaction for all: the Error answered its caller alone, the others committed.
    expect(new Set([...calls.map((c) => c.write), ...plain]).size).toBe(1);
  });

  it("retry each write alone when one throws, so only that one fails", async () => {
    const scope = await h.directory();
    const writer = new DirectoryWriter(h.deps.db, h.clock);
    const throwing: BatchedWrite<string, string> = {
      name: "users or throw",
      async apply(w, inputs) {
        if (inputs.includes("boom")) throw new Error("boom");
        await ops.upsertUsers(w, inputs.map((idp_id) => ({ idp_id, email: `${idp_id}@acme.test` })));
        return inputs;
      },
    };
    const results = await Promise.all(["a", "boom", "b"].map((input) => writer.runBatched(scope, throwing, input).catch((e: Error) => e.message)));
    expect(results).toEqual(["a", "boom", "b"]);
    const users = await h.json("GET", `/directory_users?directory=${scope.directoryId}`);
    expect(users.data.map((u: { idp_id: string }) => u.idp_id).sort()).toEqual(["a", "b"]);
  });

  it("fail the writes of a transaction whose last statements failed, though those went out unawaited before COMMIT", async () => {
    // A trigger refuses one marked event: the insert DirectoryWrite.flush sends without waiting, so
    // the transaction is aborted by the time COMMIT arrives, and that COMMIT rolls everything back.
    await h.deps.db.execute(sql.raw(`
      create or replace function refuse_marked_event() returns trigger language plpgsql as $$
      begin
        if new.data like '%"refuse_this_write"%' then raise exception 'marked event refused'; end if;
        return new;
      end $$`));
    await h.deps.db.execute(sql.raw("create trigger refuse_marked_event before insert on events for each row execute function refuse_marked_event()"));
    try {
      const scope = await h.directory();
      const writer = new DirectoryWriter(h.deps.db, h.clock);
      const kind = recordingKind([]);
      const marked = (w: DirectoryWrite) => {
        w.emit("dsync.group.updated", { refuse_this_write: true });
        return Promise.resolve("committed");
      };
      const results = await Promise.all([
        writer.runBatched(scope, kind, 1),
        // drizzle names the failed statement and keeps Postgres's error as the cause.
        writer.run(scope, marked).catch((e: Error) => `${e.message} ${(e.cause as Error | undefined)?.message}`),
        writer.run(scope, async (w) => (w.emit("dsync.group.updated", { id: "kept" }), "kept")),
      ]);
      // The shared transaction was rolled back and each write retried alone: the marked one failed
      // with the trigger's own error, the others committed.
      expect(results[0]).toBe(2);
      expect(results[1]).toMatch(/marked event refused/);
      expect(results[2]).toBe("kept");
      const events = await listDirectoryEventsBySeq(h.deps.db, scope.directoryId);
      expect(events.map((e) => [e.directory_seq, e.data])).toEqual([[1, { id: "kept" }]]);
    } finally {
      await h.deps.db.execute(sql.raw("drop trigger refuse_marked_event on events"));
      await h.deps.db.execute(sql.raw("drop function refuse_marked_event()"));
    }
  });
});

describe("a batched kind's read", () => {
  /** A kind whose read counts the rows of `table`, and whose writes answer with that count. */
  const counting = (table: string): BatchedWrite<number, number, number> => ({
    name: "counting",
    read: async (tx) => rowsOf<{ n: number }>(await tx.execute(sql.raw(`select count(*)::int as n from ${table}`)))[0]!.n,
    apply: async (_w, inputs, count) => inputs.map(() => count),
  });

  it("reaches apply, whether the kind comes first in its transaction or after other writes", async () => {
    const scope = await h.directory();
    const table = `read_probe_${process.pid}_a`;
    await h.deps.db.execute(sql.raw(`create table ${table} (n int)`));
    try {
      const writer = new DirectoryWriter(h.deps.db, h.clock);
      const results = await Promise.all([
        writer.runBatched(scope, counting(table), 1),
        writer.run(scope, (w) => w.tx.execute(sql.raw(`insert into ${table} values (1)`)).then(() => "inserted")),
        writer.runBatched(scope, counting(table), 2),
      ]);
      // The later read runs when its turn comes, after the insert before it.
      expect(results).toEqual([0, "inserted", 1]);
    } finally {
      await h.deps.db.execute(sql.raw(`drop table ${table}`));
    }
  });

  it.runIf(onPostgres)("sent before the directory lock is granted, still runs after it and sees what committed meanwhile", async () => {
    const scope = await h.directory();
    const table = `read_probe_${process.pid}_b`;
    const holder = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    try {
      await holder.unsafe(`create table ${table} (n int)`);
      const writer = new DirectoryWriter(h.deps.db, h.clock);
      let answered = false;
      let pending!: Promise<number>;
      await holder.begin(async (tx) => {
        // Another process writing the same directory holds its lock.
        await tx`select pg_advisory_xact_lock(hashtextextended(${scope.directoryId}, 0))`;
        pending = writer.runBatched(scope, counting(table), 1).finally(() => (answered = true));
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(answered).toBe(false);
        await tx.unsafe(`insert into ${table} values (1)`);
      });
      expect(await pending).toBe(1);
    } finally {
      await holder.unsafe(`drop table if exists ${table}`);
      await holder.end({ timeout: 5 });
    }
  });
});

describe("gathering", () => {
  it("starts a small batch after a large one only once as many writes wait, or gatherMs has passed", async () => {
    const scope = await h.directory();
    const writer = new DirectoryWriter(h.deps.db, h.clock, { gatherMs: 1000 });
    const calls: { inputs: number[]; write: DirectoryWrite }[] = [];
    const kind = recordingKind(calls);
    await Promise.all([1, 2, 3, 4].map((n) => writer.runBatched(scope, kind, n)));
    // The next four arrive 30 ms apart: the first waits for the other three instead of going alone.
    const next = [5, 6, 7, 8].map((n, i) => new Promise((r) => setTimeout(r, i * 30)).then(() => writer.runBatched(scope, kind, n)));
    expect(await Promise.all(next)).toEqual([10, 12, 14, 16]);
    expect(calls.map((c) => c.inputs)).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
  });

  it("never makes a single caller wait", async () => {
    const scope = await h.directory();
    const writer = new DirectoryWriter(h.deps.db, h.clock, { gatherMs: 1000 });
    const kind = recordingKind([]);
    const started = performance.now();
    for (let n = 1; n <= 5; n++) await writer.runBatched(scope, kind, n);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
