// A full snapshot prepares its next batch (normalized with the mapping the last write read) while
// the one before is written: a mapping change in between must still reach every user, and a failed
// write must end the run without another write running behind it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncItem, VendorRecord } from "../connectors/types.js";
import { normalizeGroupRecord, normalizeUserRecord } from "../src/normalize/mapping.js";
import { PRESETS } from "../src/normalize/presets.js";
import { setAttributeMapping } from "../src/sync/directory-mappings.js";
import { applyFullSnapshot, type Normalizer } from "../src/sync/pull-sync.js";
import type { WriteRunner } from "../src/sync/snapshot.js";
import { createHarness, type Harness } from "./harness.js";
import { listAllUsers } from "./support/directory-users.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const normalizer: Normalizer = {
  normalizeUser: (id, raw, mapping) => normalizeUserRecord(mapping, raw, id),
  normalizeGroup: (id, raw) => normalizeGroupRecord(PRESETS["generic scim v2.0"].group, raw, id),
};

/** SCIM-shaped users u<from>..u<to - 1>, each with a `dept` the preset does not map. */
function users(from: number, to: number): VendorRecord[] {
  return Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return { kind: "user", id: `u${i}`, raw: { id: `u${i}`, userName: `user${i}@acme.test`, active: true, dept: `sales ${i}` } };
  });
}

const writerOf = (h: Harness): WriteRunner => ({ run: (scope, op) => h.deps.reconciler.write(scope, op) });

describe("a full snapshot written while the next batch is prepared", () => {
  it("normalizes a batch prepared before a mapping change with the new mapping", async () => {
    const scope = await h.directory();
    let firstBatchWritten!: () => void;
    const written = new Promise<void>((resolve) => (firstBatchWritten = resolve));
    async function* snapshot(): AsyncIterable<SyncItem> {
      yield users(0, 1000); // a whole batch: written while the next page is prepared
      await written;
      yield users(1000, 1200); // prepared with the mapping the first write read, now stale
    }
    let pages = 0;
    const outcome = await applyFullSnapshot(writerOf(h), scope, { snapshot } as never, normalizer, {
      signal: new AbortController().signal,
      deletionThresholdPercent: 20,
      afterPage: async () => {
        if (++pages > 1) return;
        // Between the two writes, as an operator's PUT /attribute_mapping would land.
        await setAttributeMapping(writerOf(h), scope, { custom_attributes: { dept: { sources: [{ path: "dept", transforms: [{ type: "uppercase" }] }] } } });
        firstBatchWritten();
      },
    });
    expect(outcome.tally.users.created).toBe(1200);
    const stored = await listAllUsers(h, scope.directoryId);
    expect(stored).toHaveLength(1200);
    const late = stored.filter((u) => Number(u.idp_id.slice(1)) >= 1000);
    expect(late).toHaveLength(200);
    for (const u of stored) expect(u.custom_attributes.dept).toBe(`SALES ${u.idp_id.slice(1)}`);
  });

  it("ends the run with a failed write's error once nothing is left writing", async () => {
    const scope = await h.directory();
    async function* snapshot(): AsyncIterable<SyncItem> {
      for (let page = 0; page < 5; page++) yield users(page * 1000, page * 1000 + 1000);
    }
    let writes = 0;
    let running = 0;
    const failing: WriteRunner = {
      async run(s, op) {
        running += 1;
        try {
          if (++writes === 2) throw new Error("disk full");
          return await h.deps.reconciler.write(s, op);
        } finally {
          running -= 1;
        }
      },
    };
    await expect(
      applyFullSnapshot(failing, scope, { snapshot } as never, normalizer, { signal: new AbortController().signal, deletionThresholdPercent: 20, afterPage: async () => {} }),
    ).rejects.toThrow("disk full");
    expect(running).toBe(0);
    // The write after the failed one never started.
    expect(writes).toBe(2);
    expect(await listAllUsers(h, scope.directoryId)).toHaveLength(1000);
  });
});
