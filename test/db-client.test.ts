// Which statements the Postgres client prepares (src/db/client.ts): a text from its second use on, a
// bounded number of texts, in transactions too, always planned with the statement's own parameters;
// large values are compressed with lz4.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDatabase, PreparePolicy } from "../src/db/client.js";
import { rowsOf } from "../src/sync/bulk.js";
import { onPostgres } from "./harness.js";

describe("PreparePolicy", () => {
  it("prepares a text from its second use on", () => {
    const policy = new PreparePolicy();
    expect([policy.admit("select $1"), policy.admit("select $1"), policy.admit("select $1")]).toEqual([false, true, true]);
    expect(policy.admit("select $2")).toBe(false);
  });

  it("prepares at most maxPrepared texts, and keeps preparing those", () => {
    const policy = new PreparePolicy(2, 100);
    for (const text of ["a", "a", "b", "b"]) policy.admit(text);
    expect([policy.admit("c"), policy.admit("c")]).toEqual([false, false]);
    expect([policy.admit("a"), policy.admit("b")]).toEqual([true, true]);
  });

  it("forgets texts seen once when more than maxSeen are waiting for a second use", () => {
    const policy = new PreparePolicy(10, 2);
    for (const text of ["a", "b", "c"]) policy.admit(text);
    expect(policy.admit("a")).toBe(false);
    expect(policy.admit("c")).toBe(true);
  });
});

describe.runIf(onPostgres)("the Postgres client", () => {
  it("prepares repeated statements, in transactions too, with custom plans", async () => {
    // One connection, so the session settings and prepared statements read back are the ones used.
    const database = await openDatabase({ url: process.env.DATABASE_URL, dataDir: "unused", poolSize: 1 });
    try {
      const preparedTexts = async () =>
        rowsOf<{ statement: string }>(await database.db.execute(sql`select statement from pg_prepared_statements`)).map((r) => r.statement);
      for (let i = 0; i < 3; i++) await database.db.execute(sql`select ${i}::int + 1 as outside`);
      await database.db.transaction(async (tx) => {
        for (let i = 0; i < 3; i++) await tx.execute(sql`select ${i}::int + 2 as inside`);
      });
      const texts = await preparedTexts();
      expect(texts.some((t) => t.includes("as outside"))).toBe(true);
      expect(texts.some((t) => t.includes("as inside"))).toBe(true);
      const [mode] = rowsOf<{ plan_cache_mode: string }>(await database.db.execute(sql`show plan_cache_mode`));
      expect(mode!.plan_cache_mode).toBe("force_custom_plan");
      // The server here is built with lz4, so every connection stores large values with it.
      const [compression] = rowsOf<{ default_toast_compression: string }>(await database.db.execute(sql`show default_toast_compression`));
      expect(compression!.default_toast_compression).toBe("lz4");
      const [memory] = rowsOf<{ work_mem: string }>(await database.db.execute(sql`show work_mem`));
      expect(memory!.work_mem).toBe("16MB");
    } finally {
      await database.close();
    }
  });
});
