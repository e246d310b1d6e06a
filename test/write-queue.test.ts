// Group commit (src/sync/write-queue.ts): batched kinds get all their waiting inputs in one call, and
// with gatherMs a directory that is being written concurrently waits a moment for the writes of the
// callers it has just answered, while a single caller never waits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ops, type BatchedWrite, type DirectoryWrite } from "../src/sync/index.js";
import { DirectoryWriter } from "../src/sync/write-queue.js";
import { createHarness, type Harness } from "./harness.js";

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
