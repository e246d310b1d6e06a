// The dependencies every part of the gateway receives, built once at boot by main.ts (or by the
// test harness). Nothing imports a db or logger singleton; they come from here.
import type { Config } from "./config.js";
import { loadEncryptionKey, type EncryptionKey } from "./crypto/secret-box.js";
import { openDatabase, type Database, type Db } from "./db/client.js";
import type { Logger } from "./log.js";
import { Reconciler, type Clock } from "./sync/index.js";

export interface Deps {
  config: Config;
  database: Database;
  db: Db;
  log: Logger;
  clock: Clock;
  reconciler: Reconciler;
  /** Encrypts secrets stored in the database (webhook signing secrets, connector credentials). */
  encryptionKey: EncryptionKey;
}

export const systemClock: Clock = { now: () => new Date() };

/** Opens the database, applies migrations and wires the reconciler. */
export async function buildDeps(config: Config, log: Logger, clock: Clock = systemClock): Promise<Deps> {
  // Before the database opens, so a missing key on Postgres stops start-up with one clear line.
  const encryptionKey = loadEncryptionKey(config);
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DSYNC_DATA_DIR, poolSize: config.DATABASE_POOL_SIZE });
  try {
    await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  // On Postgres, group commit waits up to 3 ms for the writes of clients it has just answered (write-queue.ts).
  const reconciler = new Reconciler(database.db, clock, { gatherMs: database.kind === "postgres" ? 3 : 0 });
  return { config, database, db: database.db, log, clock, reconciler, encryptionKey };
}
