// SCIM ingest on Postgres (not part of CI): a `serve` process of the gateway and a load generator of
// 16 concurrent keep-alive clients on one directory. Phases: create users (Okta-shaped, enterprise
// extension), create groups, add members in PATCH batches of 50, deactivate 10% (half Entra-style
// "False", half Okta-style path-less replace), look users up by userName, delete 10%. Prints ops/s,
// p50 / p99 per phase and the events each phase produced; every request must be answered 2xx.
// Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench npx tsx bench/scim-ingest.ts [users] [clients]
// A fresh database is created beside DATABASE_URL's and dropped afterwards. BENCH_GATEWAY_NODE_ARGS adds
// node options to the gateway process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" for a CPU profile.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import { fileURLToPath } from "node:url";
import postgres from "postgres";

if (!process.env.DATABASE_URL) throw new Error("set DATABASE_URL to a Postgres database (a fresh one is created beside it)");
const USERS = Number(process.argv[2] ?? 5000);
const CLIENTS = Number(process.argv[3] ?? 16);
const GROUPS = 50;
const MEMBER_BATCH = 50;
const MEMBERS_PER_GROUP = 500;
const LOOKUPS = 1000;
const API_KEY = "sk_bench_0123456789abcdef0123";
const ROOT = fileURLToPath(new URL("..", import.meta.url));

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

// ---------------------------------------------------------------- database and gateway

const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
const dbName = `dsync_scim_bench_${process.pid}`;
await admin.unsafe(`create database ${dbName}`);
const dbUrl = new URL(process.env.DATABASE_URL);
dbUrl.pathname = `/${dbName}`;
const sqlClient = postgres(dbUrl.toString(), { max: 1, onnotice: () => {} });

const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(" ").filter(Boolean);
const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "src/main.ts", "serve"], {
  cwd: ROOT,
  env: {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    DATABASE_URL: dbUrl.toString(),
    DATABASE_POOL_SIZE: "20",
    DSYNC_API_KEY: API_KEY,
    DSYNC_ENCRYPTION_KEY: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    DSYNC_SCIM_RATE_PER_SEC: "1000000",
    DSYNC_SCIM_BURST: "1000000",
    LOG_LEVEL: "warn",
    PORT: "0",
    HOST: "127.0.0.1",
  },
  stdio: ["ignore", "pipe", "inherit"],
});
const gateway: string = await new Promise((resolve, reject) => {
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    const match = /listening on (http:\/\/\S+)/.exec(out);
    if (match) resolve(match[1]!);
  });
  child.on("exit", (code) => reject(new Error(`gateway exited with ${code}: ${out}`)));
});

async function rest(method: string, path: string, body?: unknown) {
  const res = await fetch(`${gateway}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${await res.text()}`);
  return res.json() as Promise<any>;
}

const org = await rest("POST", "/organizations", { name: "Bench Co" });
const directory = await rest("POST", "/directories", { organization_id: org.id, type: "okta scim v2.0", name: "Bench" });
const base: string = `${gateway}${new URL(directory.scim.base_url).pathname}`;
const token: string = directory.scim.token;

// ---------------------------------------------------------------- load generator

interface PhaseResult {
  name: string;
  ops: number;
  seconds: number;
  p50: number;
  p99: number;
  events: number;
  failures: string[];
}

// node:http with a keep-alive agent, one socket per client: several times cheaper in CPU than fetch
// (undici), which on this 2-core machine competes with the gateway and Postgres it is measuring.
const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });

function scim(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string | number> = { authorization: `Bearer ${token}`, "content-type": "application/scim+json" };
  if (payload !== undefined) headers["content-length"] = Buffer.byteLength(payload);
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 when unreadable. */
function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/**
 * Where a phase's CPU went, which the machine's load does not change much (unlike ops/s): the gateway
 * process, the Postgres backends serving this database, and this load generator; plus committed
 * transactions. Read before and after each phase.
 */
async function costSnapshot(): Promise<{ gateway: number; postgres: Map<number, number>; self: number; commits: number }> {
  const backends = await sqlClient`select pid from pg_stat_activity where datname = ${dbName} and pid <> pg_backend_pid()`;
  const [db] = await sqlClient`select xact_commit::int as n from pg_stat_database where datname = ${dbName}`;
  const usage = process.cpuUsage();
  return {
    gateway: cpuSecondsOf(child.pid!),
    postgres: new Map(backends.map((b) => [b.pid as number, cpuSecondsOf(b.pid as number)])),
    self: (usage.user + usage.system) / 1e6,
    commits: db!.n as number,
  };
}

function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(1)).join(" ");
}

async function eventCount(): Promise<number> {
  const [row] = await sqlClient`select count(*)::int as n from events where directory_id = ${directory.id}`;
  return row!.n as number;
}

/** Runs `count` requests from CLIENTS concurrent clients; request i is `make(i)`. */
async function phase(name: string, count: number, make: (i: number) => [string, string, unknown?]): Promise<PhaseResult & { bodies: any[] }> {
  const latencies: number[] = [];
  const failures: string[] = [];
  const bodies: any[] = new Array(count);
  const eventsBefore = await eventCount();
  const costBefore = await costSnapshot();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < count) {
        const i = next++;
        const [method, path, body] = make(i);
        const t = performance.now();
        const res = await scim(method, path, body);
        latencies.push(performance.now() - t);
        bodies[i] = res.body;
        if (res.status < 200 || res.status > 299) failures.push(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // pg_stat_database is updated when a backend reports (at most every 0.5 s): wait for it.
  await new Promise((r) => setTimeout(r, 600));
  const costAfter = await costSnapshot();
  const pgSeconds = [...costAfter.postgres].reduce((sum, [pid, cpu]) => sum + cpu - (costBefore.postgres.get(pid) ?? 0), 0);
  const perOp = (s: number) => ((s * 1000) / count).toFixed(2).padStart(5);
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  // Events commit with their writes; the count is exact once every response has arrived.
  const result = { name, ops: count, seconds, p50: pct(0.5), p99: pct(0.99), events: (await eventCount()) - eventsBefore, failures, bodies };
  console.log(
    `${name.padEnd(34)} ${String(count).padStart(5)} ops  ${(count / seconds).toFixed(0).padStart(6)} ops/s  p50 ${result.p50.toFixed(1).padStart(6)} ms  p99 ${result.p99.toFixed(1).padStart(6)} ms  events ${String(result.events).padStart(6)}  non-2xx ${failures.length}`,
  );
  console.log(
    `${"".padEnd(34)} cpu ms/op: gateway ${perOp(costAfter.gateway - costBefore.gateway)}  postgres ${perOp(pgSeconds)}  load generator ${perOp(costAfter.self - costBefore.self)}  commits/op ${((costAfter.commits - costBefore.commits) / count).toFixed(2)}  (load ${loadAverage()})`,
  );
  if (failures.length) console.log(`  first failure: ${failures[0]}`);
  return result;
}

const oktaUser = (i: number) => ({
  schemas: [USER, ENTERPRISE],
  userName: `user${i}@bench.example.com`,
  externalId: `00u${String(i).padStart(8, "0")}`,
  name: { givenName: `Given${i}`, familyName: `Family${i}` },
  displayName: `Given${i} Family${i}`,
  emails: [{ primary: true, value: `user${i}@bench.example.com`, type: "work" }],
  locale: "en-US",
  title: "Engineer",
  active: true,
  password: "never-stored-1",
  groups: [],
  [ENTERPRISE]: { employeeNumber: String(100000 + i), department: `Dept ${i % 20}`, costCenter: `CC${i % 7}`, division: "Products", organization: "Bench Co", manager: { value: "00u00000000", displayName: "Boss" } },
});

console.log(`gateway ${gateway} (serve process, Postgres), ${CLIENTS} keep-alive clients, one directory, load average ${loadAverage()}\n`);
const results: PhaseResult[] = [];

const created = await phase("create users (Okta, enterprise ext)", USERS, (i) => ["POST", "/Users", oktaUser(i)]);
results.push(created);
const userIds: string[] = created.bodies.map((b) => b.id);

const groups = await phase("create groups", GROUPS, (i) => ["POST", "/Groups", { schemas: [GROUP], displayName: `Group ${i}`, externalId: `00g${i}`, members: [] }]);
results.push(groups);
const groupIds: string[] = groups.bodies.map((b) => b.id);

// Group g gets MEMBERS_PER_GROUP users starting at g * 100, added MEMBER_BATCH at a time.
const batchesPerGroup = MEMBERS_PER_GROUP / MEMBER_BATCH;
results.push(
  await phase(`add members (PATCH, ${MEMBER_BATCH} each)`, GROUPS * batchesPerGroup, (i) => {
    const g = i % GROUPS;
    const b = Math.floor(i / GROUPS);
    const members = Array.from({ length: MEMBER_BATCH }, (_, k) => ({ value: userIds[(g * 100 + b * MEMBER_BATCH + k) % userIds.length]! }));
    return ["PATCH", `/Groups/${groupIds[g]}`, { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: members }] }];
  }),
);

const tenth = Math.floor(USERS / 10);
results.push(
  await phase("deactivate 10% (Entra + Okta style)", tenth, (i) => {
    const id = userIds[i * 10]!;
    const op = i % 2 === 0 ? { op: "Replace", path: "active", value: "False" } : { op: "replace", value: { active: false } };
    return ["PATCH", `/Users/${id}`, { schemas: [PATCH_OP], Operations: [op] }];
  }),
);

const lookups = await phase("look up by userName filter", LOOKUPS, (i) => [
  "GET",
  `/Users?filter=${encodeURIComponent(`userName eq "user${(i * 7) % USERS}@bench.example.com"`)}`,
]);
results.push(lookups);
const misses = lookups.bodies.filter((b) => b?.totalResults !== 1).length;
if (misses) console.log(`  ${misses} lookups did not find exactly one user`);

results.push(await phase("delete 10%", tenth, (i) => ["DELETE", `/Users/${userIds[i * 10 + 5]!}`]));

const allOk = results.every((r) => r.failures.length === 0) && misses === 0;
console.log(`\nevery request answered 2xx: ${allOk ? "yes" : "NO"}`);

child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
await sqlClient.end();
await admin.unsafe(`drop database if exists ${dbName} with (force)`);
await admin.end();
process.exit(allOk ? 0 : 1);
