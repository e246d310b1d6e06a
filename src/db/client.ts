// Opens the database: embedded PGlite in a data folder by default, real Postgres when DATABASE_URL is set.
// Both get the same drizzle schema and the same drizzle-kit migrations.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql, type ExtractTablesWithRelations } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { schema } from "./schema.js";

/** A database handle or a transaction on it: everything that runs queries takes one of these. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** An open transaction; code that must run inside one says so by asking for a Tx. */
export type Tx = PgTransaction<PgQueryResultHKT, typeof schema, ExtractTablesWithRelations<typeof schema>>;

/** An open database and how to close it. */
export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /** Applies pending migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../migrations", import.meta.url));
// Any constant works; it only has to be the same in every process of this gateway.
const MIGRATION_LOCK = 0x64_73_79_6e_63; // "dsync"

export interface DatabaseOptions {
  /** postgres:// URL; when absent, PGlite is used. */
  url?: string | undefined;
  /** PGlite data folder, or "memory://" for a throwaway in-memory database. */
  dataDir: string;
  poolSize?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options.poolSize ?? 10) : openPglite(options.dataDir);
}

async function openPglite(dataDir: string): Promise<Database> {
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir);
  const db = drizzlePglite(client, { schema });
  return {
    db: db as unknown as Db,
    kind: "pglite",
    // One connection in one process: nobody else can be migrating at the same time.
    migrate: () => migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER }),
    close: () => client.close(),
  };
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  // Prepared statements (see PreparePolicy) are still planned for their parameters on every run, as the
  // unprepared ones were: a generic plan, settled on after five runs while a directory's users were few,
  // kept scanning all of them as they grew (9 ms per batch of creates, averaged over the first 3,000).
  // work_mem: a membership batch sorts its events (kilobytes each) into sequence order; 2,500 of them
  // overflowed the default 4 MB and were sorted on disk (a tenth of the statement's time). A pull
  // sync's batch of 5,000 (~12 MB) fits.
  const connection: Record<string, string> = { plan_cache_mode: "force_custom_plan", work_mem: "16MB" };
  if (await serverHasLz4(url)) connection.default_toast_compression = "lz4";
  const client = postgres(url, { max: poolSize, onnotice: () => {}, connection });
  const db = drizzlePostgres(drizzleClient(client, new PreparePolicy()), { schema });
  await db.execute(sql`select 1`);
  return {
    db: db as unknown as Db,
    kind: "postgres",
    migrate: () => migratePostgresLocked(url),
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * Rows of a directory (raw attributes), kept renderings and many events carry kilobytes each: lz4 compresses them
 * several times faster than the default pglz (a 20,000-user pull sync: 11.3 s of Postgres CPU instead
 * of 13.4 s). It is a per-connection setting, so it is asked for only where the server was built with it.
 */
async function serverHasLz4(url: string): Promise<boolean> {
  const probe = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await probe`select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any(enumvals)`;
    return rows.length > 0;
  } finally {
    await probe.end({ timeout: 5 });
  }
}

/** drizzle's migrator takes no lock, so several processes starting together hold an advisory lock around it. */
async function migratePostgresLocked(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(drizzlePostgres(client), { migrationsFolder: MIGRATIONS_FOLDER });
    await client`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}

/**
 * Which statement texts run as prepared statements. drizzle asks postgres.js for unprepared ones, and
 * postgres.js sends an unprepared statement that has parameters in two round trips (Parse and
 * Describe, wait for the parameter types, then Bind and Execute), holding back the connection's next
 * statements meanwhile: a transaction of SCIM creates took fourteen round trips, and the statements
 * sent together (DirectoryWrite's lock and directory row, its last events and sequence) did not share
 * one. Prepared, it takes six: a statement needs one round trip from its second use on, and pipelines.
 * postgres.js keeps a connection's prepared statements until the connection closes (its max_lifetime
 * recycles it within an hour), so not every text is prepared: only one seen before, and at most
 * `maxPrepared` texts per process. Ours keep one text whatever the batch size (lists travel as one
 * JSON parameter), while SCIM filters and ad hoc reads can produce any number of texts, seen once.
 */
export class PreparePolicy {
  private readonly prepared = new Set<string>();
  private readonly seenOnce = new Set<string>();

  constructor(
    private readonly maxPrepared = 500,
    private readonly maxSeen = 5000,
  ) {}

  /** Whether to prepare `text`, counting this use. */
  admit(text: string): boolean {
    if (this.prepared.has(text)) return true;
    if (this.prepared.size >= this.maxPrepared) return false;
    if (this.seenOnce.delete(text)) {
      this.prepared.add(text);
      return true;
    }
    // A bound, not an eviction policy: texts seen once get another chance after a reset.
    if (this.seenOnce.size >= this.maxSeen) this.seenOnce.clear();
    this.seenOnce.add(text);
    return false;
  }
}

type Client = postgres.Sql<Record<string, unknown>>;

/**
 * The client as drizzle sees it: every statement, in transactions and savepoints too, is prepared
 * when `policy` says so, whatever drizzle asked for; and a transaction starts without a round trip
 * of its own (pipelinedTransaction).
 */
function drizzleClient(pool: Client, policy: PreparePolicy): Client {
  const send = preparing(pool, policy);
  return new Proxy(pool, {
    get(target, key, receiver) {
      if (key === "unsafe") return send;
      if (key === "begin") {
        // drizzle passes the body last, after transaction options it never sets for us.
        return (...args: unknown[]) => pipelinedTransaction(target, policy, args.pop() as (tx: Client) => unknown);
      }
      return Reflect.get(target, key, receiver);
    },
  });
}

function preparing(client: Client, policy: PreparePolicy): Client["unsafe"] {
  return (query: string, params?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) =>
    client.unsafe(query, params, { ...options, prepare: policy.admit(query) });
}

/**
 * postgres.js's begin() waits for BEGIN's answer before it runs the body: a round trip of its own in
 * every transaction, and a directory's writes, serialized by its lock, pay it in their ceiling (one
 * of six in a transaction of SCIM creates). Here BEGIN goes out on a reserved connection and the
 * body's first statements follow it in the same round trip; they run inside the transaction, as
 * statements on one connection run in order.
 */
async function pipelinedTransaction<R>(pool: Client, policy: PreparePolicy, body: (tx: Client) => R | Promise<R>): Promise<R> {
  const reserved = await reserveConnection(pool);
  const link = new ConnectionWatch();
  try {
    const begun = failureOf(reserved.unsafe("begin", [], { onexecute: link.attach } as postgres.UnsafeQueryOptions).execute());
    let result: R;
    try {
      result = await Promise.race([body(transactionClient(reserved, policy, link)), link.lost]);
      const failed = await begun;
      if (failed) throw failed;
    } catch (error) {
      if (!link.error) await Promise.race([reserved.unsafe("rollback"), link.lost]).catch(() => {});
      throw link.error ?? (await begun) ?? error;
    }
    if (link.error) throw link.error;
    // A statement the body did not await may have failed and aborted the transaction: Postgres then
    // answers COMMIT by rolling back, which postgres.js does not report as an error.
    const commit = await Promise.race([reserved.unsafe("commit"), link.lost]);
    if (commit.command !== "COMMIT") throw new Error(`COMMIT answered ${commit.command}: a statement of the transaction failed`);
    return result;
  } finally {
    // A lost connection is already back in the pool's care, to be reconnected; releasing it would
    // hand it out as an open one.
    if (link.detach()) reserved.release();
  }
}

/** How long a reserve may wait before it is asked for again (see reserveConnection). */
const RESERVE_RECHECK_MS = 1000;

/**
 * pool.reserve(), asked for again every RESERVE_RECHECK_MS while it waits. postgres.js 3.4.9 strands a
 * reserve that waits while a connection is lost: it hands it to that connection's reconnect, which
 * drops it (porsager/postgres#1195), and it never settles; a directory's writes would queue behind it
 * for good. A reserve answered after it was given up is released at once.
 */
async function reserveConnection(pool: Client): Promise<postgres.ReservedSql<Record<string, unknown>>> {
  for (;;) {
    const reserving = pool.reserve();
    let timer: NodeJS.Timeout | undefined;
    const recheck = new Promise<null>((resolve) => (timer = setTimeout(resolve, RESERVE_RECHECK_MS, null)));
    const reserved = await Promise.race([reserving, recheck]);
    clearTimeout(timer);
    if (reserved) return reserved;
    reserving.then(
      (late) => late.release(),
      () => {},
    );
  }
}

/**
 * Whether a reserved connection was lost (server restart, terminated backend). postgres.js rejects
 * the statements in flight then, but one sent afterwards on a reserved connection would be written
 * to a closed socket (an uncaught error) and never answered. postgres.js's own begin() watches the
 * connection the same way, through the hooks of the statement that starts the transaction.
 */
class ConnectionWatch {
  error: Error | null = null;
  private connection: { onclose: ((error: Error) => void) | null } | null = null;
  private reject: (error: Error) => void = () => {};
  /** Rejects when the connection is lost; never resolves. */
  readonly lost = new Promise<never>((_, reject) => (this.reject = reject));

  constructor() {
    this.lost.catch(() => {});
  }

  /** postgres.js's onexecute hook: it hands over the connection, and must return it to keep the pipeline going. */
  readonly attach = <T extends { onclose: ((error: Error) => void) | null }>(connection: T): T => {
    this.connection = connection;
    connection.onclose = (error) => {
      this.error = error;
      this.reject(error);
    };
    return connection;
  };

  /** Stops watching; true if the connection is still there to be released. */
  detach(): boolean {
    if (this.connection) this.connection.onclose = null;
    return this.error === null;
  }
}

/** A transaction's client for drizzle: statements prepared by `policy`, nested transactions as savepoints. */
function transactionClient(connection: postgres.ReservedSql<Record<string, unknown>>, policy: PreparePolicy, link: ConnectionWatch): Client {
  let savepoints = 0;
  const prepared = preparing(connection, policy);
  // Nothing is sent on a lost connection (see ConnectionWatch).
  const send: Client["unsafe"] = (...args) => {
    if (link.error) throw link.error;
    return prepared(...args);
  };
  const client: Client = new Proxy(connection, {
    get(target, key, receiver) {
      if (key === "unsafe") return send;
      if (key === "savepoint") {
        return async (body: (tx: Client) => unknown) => {
          const name = `s${++savepoints}`;
          await send(`savepoint ${name}`);
          try {
            const result = await body(client);
            await send(`release savepoint ${name}`);
            return result;
          } catch (error) {
            await send(`rollback to savepoint ${name}`);
            throw error;
          }
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
  return client;
}

/** What `statements` failed with, or null; never rejects, so nobody has to be waiting for it. */
export function failureOf(statements: PromiseLike<unknown>): Promise<unknown> {
  return Promise.resolve(statements.then(() => null, (error: unknown) => error ?? new Error("statement failed")));
}
