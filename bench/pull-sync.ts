// Pull-sync benchmark (not CI): a full sync of N users and G groups (about N x M memberships) from one
// vendor's emulator into Postgres, then an incremental run of C changes where the vendor has one
// (Entra delta, Okta lastUpdated + System Log; Google has no delta API), then a second full run over
// the unchanged directory (the daily full sync). The emulator runs as its own
// process, so its memory is not counted; the gateway side (scheduler, connector on the vendor's
// official SDK, normalize, reconcile) is this process.
//   DATABASE_URL=postgres://... npx tsx bench/pull-sync.ts <graph|google|okta> [users=100000] [groups=2000] [membershipsPerUser=5] [changes=1000]
//   npx tsx bench/pull-sync.ts <graph|google|okta> [users] [groups] [membershipsPerUser] --fetch-only
// --fetch-only streams the connector's snapshot without writing anything: the vendor side's own speed.
// --full-only stops after the first full run (for measuring it alone, e.g. the database's CPU).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { writeHeapSnapshot } from "node:v8";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { buildDeps } from "../src/deps.js";
import { createLogger } from "../src/log.js";
import { applyRuntimeSettings } from "../src/runtime.js";
import { pullSourceFor } from "../src/sync/pull-sources.js";
import { PullSyncScheduler } from "../src/sync/scheduler.js";

const VENDORS = { graph: "azure graph", google: "gsuite directory", okta: "okta api" } as const;
const args = process.argv.slice(2);
const fetchOnly = args.includes("--fetch-only");
const fullOnly = args.includes("--full-only");
const [vendor, ...numbers] = args.filter((a) => !a.startsWith("--"));
if (!vendor || !(vendor in VENDORS)) throw new Error("usage: bench/pull-sync.ts <graph|google|okta> [users] [groups] [membershipsPerUser] [changes] [--fetch-only | --full-only]");
const type = VENDORS[vendor as keyof typeof VENDORS];
const [users = 100_000, groups = 2_000, perUser = 5, changes = 1_000] = numbers.map(Number);
if (!fetchOnly && !process.env.DATABASE_URL) throw new Error("set DATABASE_URL to a fresh Postgres database");
const API_KEY = "sk_bench_0123456789abcdef";
// As main.ts does at start (DSYNC_HEAP_GROWTH_PERCENT=0 measures V8's own heap policy).
applyRuntimeSettings(loadConfig({ DSYNC_HEAP_GROWTH_PERCENT: process.env.DSYNC_HEAP_GROWTH_PERCENT }));
const load = () => loadavg().map((l) => +l.toFixed(1));

// The emulator in its own process: seeded, listening, printing the directory's connection as JSON.
const sizeArgs =
  vendor === "graph"
    ? ["--members-per-group", String(Math.round((users * perUser) / Math.max(1, groups))), "--page-size", "200"]
    : ["--memberships-per-user", String(perUser)];
const child = spawn(
  process.execPath,
  ["--import", "tsx", "test/emulators/cli.ts", vendor, "--users", String(users), "--groups", String(groups), ...sizeArgs, "--port", "0"],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const connection = await new Promise<{ type: string; credentials: Record<string, unknown>; settings?: Record<string, unknown> }>((resolve, reject) => {
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
// Where the emulator listens (a free port it picked), as the connection it printed names it.
const emulatorUrl = String(connection.settings?.graph_endpoint ?? connection.settings?.api_root ?? connection.credentials.org_url);

let snapshotAt = Number(process.env.BENCH_HEAP_SNAPSHOT_MB ?? 0);
let peakRss = process.memoryUsage().rss;
let atPeak = process.memoryUsage();
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  if (usage.rss > peakRss) [peakRss, atPeak] = [usage.rss, usage];
  // BENCH_HEAP_SNAPSHOT_MB=N writes one heap snapshot when the heap first passes N MB (to find what holds memory).
  if (snapshotAt && usage.heapUsed > snapshotAt * 1048576) {
    snapshotAt = 0;
    console.error(`heap snapshot: ${writeHeapSnapshot()}`);
  }
}, 50);
const mb = (n: number) => Math.round(n / 1048576);

if (fetchOnly) {
  const source = pullSourceFor(type)!;
  const settings = source.settings.parse(connection.settings ?? {});
  const connector = source.createConnector(connection.credentials, settings);
  const counts: Record<string, number> = {};
  const started = performance.now();
  for await (const item of connector.snapshot(new AbortController().signal)) {
    if (!Array.isArray(item)) continue;
    for (const r of item) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  console.log(JSON.stringify({ vendor, fetch_only: true, counts, seconds: +seconds.toFixed(1), users_per_second: Math.round(users / seconds), peak_rss_mb: Math.round(peakRss / 1048576), load: load() }, null, 2));
  child.kill("SIGTERM");
  process.exit(0);
}

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

const loadBefore = load();
const org = await call("POST", "/organizations", { name: "Bench" });
const dir = await call("POST", "/directories", { organization_id: org.id, name: `Bench ${vendor}`, ...connection });
if (dir.state !== "linked") throw new Error(`directory not linked: ${JSON.stringify(dir.sync)}`);
const scope = { organizationId: org.id, directoryId: dir.id };
const scheduler = new PullSyncScheduler(deps);

peakRss = process.memoryUsage().rss;
let started = performance.now();
const cpuBefore = process.cpuUsage();
const emulatorCpuBefore = emulatorCpuSeconds();
const full = await scheduler.syncNow(scope, type, { full: true, dryRun: false });
const fullMs = performance.now() - started;
const fullCpu = process.cpuUsage(cpuBefore);
const emulatorCpu = emulatorCpuSeconds() - emulatorCpuBefore;
const fullRss = peakRss;
const fullAtPeak = atPeak;
const loadAfterFull = load();

let incremental: Record<string, unknown> | null = null;
if (vendor !== "google" && changes > 0 && !fullOnly) {
  const churned = await fetch(`${emulatorUrl}/__emulator/churn?count=${changes}`, { method: "POST" });
  if (!churned.ok) throw new Error(`churn: ${churned.status} ${await churned.text()}`);
  peakRss = process.memoryUsage().rss;
  started = performance.now();
  const run = await scheduler.syncNow(scope, type, { full: false, dryRun: false });
  const ms = performance.now() - started;
  incremental = { status: run.status, kind: run.kind, changes, counts: run.counts, seconds: +(ms / 1000).toFixed(2), peak_rss_mb: Math.round(peakRss / 1048576) };
}

// A full run over the directory as it now stands: the daily full sync of an unchanged directory.
let rerun: Record<string, unknown> | null = null;
if (!fullOnly) {
  peakRss = process.memoryUsage().rss;
  started = performance.now();
  const again = await scheduler.syncNow(scope, type, { full: true, dryRun: false });
  const againMs = performance.now() - started;
  rerun = { status: again.status, seconds: +(againMs / 1000).toFixed(1), users_per_second: Math.round(users / (againMs / 1000)), peak_rss_mb: Math.round(peakRss / 1048576), created: again.created, updated: again.updated, deleted: again.deleted };
}

clearInterval(sampler);
const counts = full.counts as any;
console.log(
  JSON.stringify(
    {
      vendor,
      users,
      groups,
      full: {
        status: full.status,
        users: counts.users,
        groups: counts.groups,
        memberships: counts.memberships,
        seconds: +(fullMs / 1000).toFixed(1),
        users_per_second: Math.round(users / (fullMs / 1000)),
        peak_rss_mb: Math.round(fullRss / 1048576),
        gateway_cpu_seconds: +((fullCpu.user + fullCpu.system) / 1e6).toFixed(1),
        emulator_cpu_seconds: +emulatorCpu.toFixed(1),
        at_peak_mb: { heap_used: mb(fullAtPeak.heapUsed), heap_total: mb(fullAtPeak.heapTotal), external: mb(fullAtPeak.external), array_buffers: mb(fullAtPeak.arrayBuffers) },
      },
      incremental,
      full_rerun: rerun,
      load_average: { before: loadBefore, after_full: loadAfterFull, end: load() },
    },
    null,
    2,
  ),
);
child.kill("SIGTERM");
await deps.database.close();

/** CPU time the emulator process has used (Linux: utime + stime from /proc, in clock ticks of 1/100 s); NaN elsewhere. */
function emulatorCpuSeconds(): number {
  try {
    // The command name in field 2 may hold spaces; the fields after its closing parenthesis do not.
    const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
