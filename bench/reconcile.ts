// Reconcile throughput on one directory: N concurrent callers upserting distinct users, with group
// commit (writes waiting for the directory share a transaction) and without it (one per transaction).
// Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench npx tsx bench/reconcile.ts [users] [concurrency]
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/client.js";
import { OPERATOR, listDirectoryEventsBySeq, ops } from "../src/sync/index.js";
import { DirectoryWriter } from "../src/sync/write-queue.js";
import { createDirectory } from "../src/tenancy/directories.js";
import { createOrganization } from "../src/tenancy/organizations.js";

const total = Number(process.argv[2] ?? 5000);
const concurrency = Number(process.argv[3] ?? 16);
const config = loadConfig();
const database = await openDatabase({ url: config.DATABASE_URL, dataDir: "memory://", poolSize: concurrency + 2 });
await database.migrate();
const clock = { now: () => new Date() };

async function run(label: string, maxBatch: number): Promise<void> {
  const org = await createOrganization(database.db, { name: `bench ${label}` }, clock.now());
  const dir = await createDirectory(database.db, OPERATOR, { organization_id: org.id, type: "generic scim v2.0", name: label }, clock.now());
  const scope = { organizationId: org.id, directoryId: dir.id };
  const writer = new DirectoryWriter(database.db, clock, maxBatch);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        await writer.run(scope, (w) => ops.upsertUsers(w, [{ idp_id: `u${i}`, email: `u${i}@bench.test`, first_name: "B", last_name: `${i}` }]));
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
  const events = await listDirectoryEventsBySeq(database.db, dir.id);
  console.log(
    `${label.padEnd(22)} ${total} users, ${concurrency} callers: ${(total / seconds).toFixed(0)} writes/s, p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, events ${events.length}`,
  );
}

console.log(`database: ${database.kind}`);
await run("one per transaction", 1);
await run("group commit", 64);
await database.close();
