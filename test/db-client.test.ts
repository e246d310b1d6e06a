// Which statements the Postgres client prepares (src/db/client.ts): a text from its second use on, a
// bounded number of texts, in transactions too, always planned with the statement's own parameters;
// large values are compressed with lz4.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import postgres from "postgres";
import { openDatabase, PreparePolicy, type Db } from "../src/db/client.js";
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

const backendPid = async (tx: Db) => rowsOf<{ pid: number }>(await tx.execute(sql`select pg_backend_pid() as pid`))[0]!.pid;

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

  it("runs a transaction's statements in it, though its BEGIN is not awaited alone, and rolls back what fails", async () => {
    const database = await openDatabase({ url: process.env.DATABASE_URL, dataDir: "unused", poolSize: 2 });
    const table = `tx_probe_${process.pid}`;
    const count = async () => rowsOf<{ n: number }>(await database.db.execute(sql.raw(`select count(*)::int as n from ${table}`)))[0]!.n;
    try {
      await database.db.execute(sql.raw(`create table ${table} (id int primary key)`));
      // The first statement, sent right behind BEGIN, already runs in the transaction.
      const xids = await database.db.transaction(async (tx) => {
        const first = rowsOf<{ xid: string }>(await tx.execute(sql`select pg_current_xact_id()::text as xid`));
        await tx.execute(sql.raw(`insert into ${table} values (1)`));
        const second = rowsOf<{ xid: string }>(await tx.execute(sql`select pg_current_xact_id()::text as xid`));
        return [first[0]!.xid, second[0]!.xid];
      });
      expect(xids[0]).toBe(xids[1]);
      expect(await count()).toBe(1);

      // A body that throws rolls everything back, and the connection is clean for the next user.
      await expect(
        database.db.transaction(async (tx) => {
          await tx.execute(sql.raw(`insert into ${table} values (2)`));
          throw new Error("body failed");
        }),
      ).rejects.toThrow("body failed");
      expect(await count()).toBe(1);

      // A failed statement nobody awaited aborts the transaction: its COMMIT is reported as the failure it is.
      await expect(
        database.db.transaction(async (tx) => {
          void tx.execute(sql.raw(`insert into ${table} values (1)`)).then(undefined, () => {});
          await new Promise((resolve) => setTimeout(resolve, 50));
        }),
      ).rejects.toThrow(/COMMIT answered ROLLBACK/);

      // A nested transaction is a savepoint: its failure undoes its own writes only.
      await database.db.transaction(async (tx) => {
        await tx.execute(sql.raw(`insert into ${table} values (3)`));
        await expect(
          tx.transaction(async (inner) => {
            await inner.execute(sql.raw(`insert into ${table} values (4)`));
            throw new Error("inner failed");
          }),
        ).rejects.toThrow("inner failed");
        await tx.transaction(async (inner) => {
          await inner.execute(sql.raw(`insert into ${table} values (5)`));
        });
      });
      const ids = rowsOf<{ id: number }>(await database.db.execute(sql.raw(`select id from ${table} order by id`))).map((r) => r.id);
      expect(ids).toEqual([1, 3, 5]);
    } finally {
      await database.db.execute(sql.raw(`drop table if exists ${table}`));
      await database.close();
    }
  });

  it("fails a transaction whose connection is lost, and keeps serving from the pool", async () => {
    // One connection, so the statements after each loss must get a new one.
    const database = await openDatabase({ url: process.env.DATABASE_URL, dataDir: "unused", poolSize: 1 });
    const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    try {
      // Lost while the transaction is idle between two statements: the next one is refused, not sent.
      await expect(
        database.db.transaction(async (tx) => {
          await admin`select pg_terminate_backend(${await backendPid(tx)})`;
          await new Promise((resolve) => setTimeout(resolve, 100));
          await tx.execute(sql`select 1`);
        }),
      ).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
      // Lost while a statement runs.
      await expect(
        database.db.transaction(async (tx) => {
          const pid = await backendPid(tx);
          // postgres.js runs a query once it is awaited or executed.
          setTimeout(() => void admin`select pg_terminate_backend(${pid})`.execute(), 100);
          await tx.execute(sql`select pg_sleep(5)`);
        }),
      ).rejects.toThrow(/terminat|CONNECTION/);
      // postgres.js may answer the first statement on the reconnected slot with the FATAL error the lost
      // backend sent before its socket closed (it keeps that error across the reconnect); the next is served.
      const select42 = async () => rowsOf<{ n: number }>(await database.db.execute(sql`select 42 as n`))[0]!.n;
      expect(await select42().catch(select42)).toBe(42);
      expect(await database.db.transaction(async (tx) => rowsOf<{ n: number }>(await tx.execute(sql`select 7 as n`))[0]!.n)).toBe(7);
    } finally {
      await admin.end({ timeout: 5 });
      await database.close();
    }
  });

  it("starts a transaction that was waiting for the connection another one lost", async () => {
    // postgres.js strands a reserve that waits while the connection is lost (porsager/postgres#1195);
    // without asking again, the second transaction would never start.
    const database = await openDatabase({ url: process.env.DATABASE_URL, dataDir: "unused", poolSize: 1 });
    const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    try {
      let pidOfFirst!: (pid: number) => void;
      const firstPid = new Promise<number>((resolve) => (pidOfFirst = resolve));
      // The first holds the only connection, idle in its transaction, until the connection is lost.
      const first = database.db.transaction(async (tx) => {
        pidOfFirst(await backendPid(tx));
        await new Promise(() => {});
      });
      const pid = await firstPid;
      const second = database.db.transaction(async (tx) => rowsOf<{ n: number }>(await tx.execute(sql`select 7 as n`))[0]!.n);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await admin`select pg_terminate_backend(${pid})`;
      await expect(first).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
      expect(await second).toBe(7);
    } finally {
      await admin.end({ timeout: 5 });
      await database.close();
    }
  }, 15_000);
});
