// Pull-sync benchmark (not CI): a full Entra sync of N users and G groups from the Graph emulator
// (run as a separate process, so its memory is not counted) into Postgres, then a delta of C changes.
//   DATABASE_URL=postgres://... npx tsx bench/pull-sync.ts [users=100000] [groups=2000] [membersPerGroup=250] [changes=1000]
import { spawn } from "node:child_process";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { buildDeps } from "../src/deps.js";
import { createLogger } from "../src/log.js";
import { PullSyncScheduler } from "../src/sync/scheduler.js";

const [users = 100_000, groups = 2_000, perGroup = 250, changes = 1_000] = process.argv.slice(2).map(Number);
if (!process.env.DATABASE_URL) throw new Error("set DATABASE_URL to a fresh Postgres database");
const API_KEY = "sk_bench_0123456789abcdef";
const port = 4100 + Math.floor(Math.random() * 800);

// The emulator in its own process: seeded, listening, printing credentials as JSON.
const child = spawn(process.execPath, ["--import", "tsx", "test/emulators/cli.ts", "graph", "--users", String(users), "--groups", String(groups), "--members-per-group", String(perGroup), "--port", String(port)], {
  stdio: ["ignore", "pipe", "inherit"],
});
const connection = await new Promise<{ credentials: Record<string, string>; settings: Record<string, string> }>((resolve, reject) => {
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    const start = out.indexOf("{");
    if (start >= 0) {
      try {
        resolve(JSON.parse(out.slice(start)));
      } catch {
        // Not all of it yet.
      }
    }
  });
  child.on("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
});

const config = loadConfig({
  DATABASE_URL: process.env.DATABASE_URL,
  DSYNC_API_KEY: API_KEY,
  DSYNC_ENCRYPTION_KEY: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
  LOG_LEVEL: "warn",
});
const deps = await buildDeps(config, createLogger(config.LOG_LEVEL));
const app = createApp(deps);
const call = async (method: string, path: string, body?: unknown) => {
  const res = await app.request(path, { method, headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  const json = (await res.json()) as any;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

const org = await call("POST", "/organizations", { name: "Bench" });
const dir = await call("POST", "/directories", { organization_id: org.id, type: "azure graph", name: "Bench Entra", ...connection });
if (dir.state !== "linked") throw new Error(`directory not linked: ${JSON.stringify(dir.sync)}`);
const scope = { organizationId: org.id, directoryId: dir.id };
const scheduler = new PullSyncScheduler(deps);

let started = performance.now();
const full = await scheduler.syncNow(scope, "azure graph", { full: true, dryRun: false });
const fullMs = performance.now() - started;
const fullRss = peakRss;

await fetch(`http://127.0.0.1:${port}/__emulator/churn?count=${changes}`, { method: "POST" });
started = performance.now();
const delta = await scheduler.syncNow(scope, "azure graph", { full: false, dryRun: false });
const deltaMs = performance.now() - started;

clearInterval(sampler);
console.log(
  JSON.stringify(
    {
      users,
      groups,
      memberships: (full.counts as any).memberships.added,
      full: { status: full.status, seconds: +(fullMs / 1000).toFixed(1), users_per_second: Math.round(users / (fullMs / 1000)), peak_rss_mb: Math.round(fullRss / 1048576) },
      delta: { status: delta.status, kind: delta.kind, changes, updated: delta.updated, seconds: +(deltaMs / 1000).toFixed(2) },
      max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    },
    null,
    2,
  ),
);
child.kill("SIGTERM");
await deps.database.close();
