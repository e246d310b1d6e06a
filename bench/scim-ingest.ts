// SCIM ingest on Postgres (not part of CI): a `serve` process of the gateway and a load generator of
// 16 concurrent keep-alive clients on one directory. Phases: create users (Okta-shaped, enterprise
// extension), create groups, add members in PATCH batches of 50, deactivate 10% (half Entra-style
// "False", half Okta-style path-less replace), look users up by userName, delete 10%. Prints ops/s,
// p50 / p99 per phase and the events each phase produced; every request must be answered 2xx.
// Each timed phase directly follows the same phase, untimed, on a second directory (see WARMUP below):
// the figures are a warm gateway's. BENCH_WARMUP=0 measures a cold process, as earlier figures in
// BENCHMARKS.md did (with node:http's client, which cost the machine 0.2-0.4 ms of CPU per request).
// Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench npx tsx bench/scim-ingest.ts [users] [clients]
// A fresh database is created beside DATABASE_URL's and dropped afterwards. BENCH_GATEWAY_NODE_ARGS adds
// node options to the gateway process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" for a CPU profile.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
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
    ...(process.env.DSYNC_HEAP_GROWTH_PERCENT ? { DSYNC_HEAP_GROWTH_PERCENT: process.env.DSYNC_HEAP_GROWTH_PERCENT } : {}),
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
/** A directory's SCIM base URL (on this gateway) and bearer token. */
interface Target {
  id: string;
  /** The SCIM base URL's path. */
  path: string;
  token: string;
}
async function scimDirectory(name: string): Promise<Target> {
  const created = await rest("POST", "/directories", { organization_id: org.id, type: "okta scim v2.0", name });
  return { id: created.id, path: new URL(created.scim.base_url).pathname, token: created.scim.token };
}
const directory = await scimDirectory("Bench");

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

/**
 * One keep-alive HTTP/1.1 connection of the load generator, one request at a time. It shares the two
 * cores with the gateway and Postgres, and node:http's client took as much CPU per request as the
 * gateway's whole handling of a discovery request (0.18 ms); writing the request in one string and
 * slicing the response takes a fraction of it. Responses carry Content-Length or chunked bodies; an
 * idle connection is replaced before the server's keep-alive timeout (5 s) can close it under a request.
 */
class Connection {
  private socket: net.Socket | null = null;
  private lastUsed = 0;
  private received: Buffer = Buffer.alloc(0);
  private waiting: { resolve(r: { status: number; text: string }): void; reject(e: Error): void } | null = null;

  constructor(private readonly url: URL) {}

  request(method: string, path: string, token: string, payload: string | undefined): Promise<{ status: number; text: string }> {
    if (!this.socket || performance.now() - this.lastUsed > 4000) this.connect();
    const length = payload === undefined ? "" : `content-length: ${Buffer.byteLength(payload)}\r\n`;
    const head = `${method} ${path} HTTP/1.1\r\nhost: ${this.url.host}\r\nconnection: keep-alive\r\nauthorization: Bearer ${token}\r\ncontent-type: application/scim+json\r\n${length}\r\n`;
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket!.write(payload === undefined ? head : head + payload);
    });
  }

  private connect(): void {
    this.socket?.destroy();
    const socket = net.connect(Number(this.url.port), this.url.hostname);
    socket.setNoDelay(true);
    // A replaced socket's events are not this connection's any more.
    socket.on("data", (chunk: Buffer) => this.socket === socket && this.onData(chunk));
    socket.on("error", (error) => this.socket === socket && this.fail(error));
    socket.on("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.fail(new Error("connection closed"));
    });
    this.socket = socket;
    this.received = Buffer.alloc(0);
  }

  private fail(error: Error): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(error);
  }

  private onData(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    const end = this.received.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = this.received.toString("latin1", 0, end);
    const status = Number(head.slice(9, 12));
    const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let text: string;
    let consumed: number;
    if (lengthMatch) {
      consumed = end + 4 + Number(lengthMatch[1]);
      if (this.received.length < consumed) return;
      text = this.received.toString("utf8", end + 4, consumed);
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const parts: Buffer[] = [];
      let at = end + 4;
      for (;;) {
        const lineEnd = this.received.indexOf("\r\n", at);
        if (lineEnd < 0) return;
        const size = parseInt(this.received.toString("latin1", at, lineEnd), 16);
        if (this.received.length < lineEnd + 2 + size + 2) return;
        if (size === 0) {
          consumed = lineEnd + 4;
          break;
        }
        parts.push(this.received.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      text = Buffer.concat(parts).toString("utf8");
    } else {
      consumed = end + 4; // 204, 304: no body
      text = "";
    }
    this.received = this.received.subarray(consumed);
    this.lastUsed = performance.now();
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve({ status, text });
  }
}

const connections = Array.from({ length: CLIENTS }, () => new Connection(new URL(gateway)));

/** A SCIM request on client `client`'s connection: the status and the parsed JSON body (null when empty). */
async function scim(client: number, to: Target, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await connections[client]!.request(method, `${to.path}${path}`, to.token, body === undefined ? undefined : JSON.stringify(body));
  return { status: res.status, body: res.text ? JSON.parse(res.text) : null };
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

/** A request: method, path under the directory's base URL, body. */
type Request = [string, string, unknown?];

/** Sends `count` requests to `to` from CLIENTS concurrent clients; request i is `make(i)`. */
async function drive(to: Target, count: number, make: (i: number) => Request): Promise<{ latencies: number[]; failures: string[]; bodies: any[] }> {
  const latencies: number[] = [];
  const failures: string[] = [];
  const bodies: any[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      while (next < count) {
        const i = next++;
        const [method, path, body] = make(i);
        const t = performance.now();
        const res = await scim(client, to, method, path, body);
        latencies.push(performance.now() - t);
        bodies[i] = res.body;
        if (res.status < 200 || res.status > 299) failures.push(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
      }
    }),
  );
  return { latencies, failures, bodies };
}

/** Runs `count` requests on the measured directory, timed, and prints the phase's figures. */
async function phase(name: string, count: number, make: (i: number) => Request): Promise<PhaseResult & { bodies: any[] }> {
  const eventsBefore = await eventCount();
  const costBefore = await costSnapshot();
  const started = performance.now();
  const { latencies, failures, bodies } = await drive(directory, count, make);
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

/** One phase: `count` requests, request i being `make(i)`. */
interface PhaseSpec {
  name: string;
  count: number;
  make: (i: number) => Request;
}

/**
 * The phases on a directory that gets `users` users, each given the bodies the one before answered;
 * returns how many lookups did not find exactly one user.
 */
function* phases(users: number, lookupCount: number): Generator<PhaseSpec, number, { bodies: any[] }> {
  const created = yield { name: "create users (Okta, enterprise ext)", count: users, make: (i) => ["POST", "/Users", oktaUser(i)] };
  const userIds: string[] = created.bodies.map((b) => b.id);

  const groups = yield { name: "create groups", count: GROUPS, make: (i) => ["POST", "/Groups", { schemas: [GROUP], displayName: `Group ${i}`, externalId: `00g${i}`, members: [] }] };
  const groupIds: string[] = groups.bodies.map((b) => b.id);

  // Group g gets MEMBERS_PER_GROUP users starting at g * 100, added MEMBER_BATCH at a time.
  const batchesPerGroup = MEMBERS_PER_GROUP / MEMBER_BATCH;
  yield {
    name: `add members (PATCH, ${MEMBER_BATCH} each)`,
    count: GROUPS * batchesPerGroup,
    make: (i) => {
      const g = i % GROUPS;
      const b = Math.floor(i / GROUPS);
      const members = Array.from({ length: MEMBER_BATCH }, (_, k) => ({ value: userIds[(g * 100 + b * MEMBER_BATCH + k) % userIds.length]! }));
      return ["PATCH", `/Groups/${groupIds[g]}`, { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: members }] }];
    },
  };

  const tenth = Math.floor(users / 10);
  yield {
    name: "deactivate 10% (Entra + Okta style)",
    count: tenth,
    make: (i) => {
      const id = userIds[i * 10]!;
      const op = i % 2 === 0 ? { op: "Replace", path: "active", value: "False" } : { op: "replace", value: { active: false } };
      return ["PATCH", `/Users/${id}`, { schemas: [PATCH_OP], Operations: [op] }];
    },
  };

  const lookups = yield {
    name: "look up by userName filter",
    count: lookupCount,
    make: (i) => ["GET", `/Users?filter=${encodeURIComponent(`userName eq "user${(i * 7) % users}@bench.example.com"`)}`],
  };
  const misses = lookups.bodies.filter((b) => b?.totalResults !== 1).length;

  yield { name: "delete 10%", count: tenth, make: (i) => ["DELETE", `/Users/${userIds[i * 10 + 5]!}`] };
  return misses;
}

// A gateway in service runs its hot paths compiled. A fresh process spent a quarter of the first phase's
// CPU in V8's optimizing compiler (perf), on the same two cores, and V8 drops the bytecode of code left
// unused for some seconds (the create path, idle through the membership phase, was compiled again). So
// each timed phase directly follows the same phase, untimed, on a second directory that gets
// BENCH_WARMUP users (as many as the timed one by default; 0 measures a cold process).
const WARMUP = Number(process.env.BENCH_WARMUP ?? USERS);
const warmTarget = WARMUP > 0 ? await scimDirectory("Warm-up") : null;
console.log(
  `gateway ${gateway} (serve process, Postgres), ${CLIENTS} keep-alive clients, one directory, load average ${loadAverage()}\n` +
    (warmTarget ? `each phase first runs untimed on a warm-up directory (${WARMUP} users), then timed\n` : "no warm-up: a cold gateway process\n"),
);

const results: PhaseResult[] = [];
let warmupFailures = 0;
const timed = phases(USERS, LOOKUPS);
// Lookups are the cheapest requests: LOOKUPS of them left V8 still compiling their path, so the warm-up
// sends as many as it creates users.
const warm = warmTarget ? phases(WARMUP, Math.max(LOOKUPS, WARMUP)) : null;
let next = timed.next();
let nextWarm = warm?.next();
while (!next.done) {
  if (warmTarget && nextWarm && !nextWarm.done) {
    const out = await drive(warmTarget, nextWarm.value.count, nextWarm.value.make);
    warmupFailures += out.failures.length;
    if (out.failures.length) console.log(`  warm-up failure: ${out.failures[0]}`);
    nextWarm = warm!.next(out);
    // Its garbage collection, compiling and request-log writes finish before the timed phase starts.
    await new Promise((r) => setTimeout(r, 1000));
  }
  const result = await phase(next.value.name, next.value.count, next.value.make);
  results.push(result);
  next = timed.next(result);
}
const misses = next.value;
if (misses) console.log(`  ${misses} lookups did not find exactly one user`);

const allOk = results.every((r) => r.failures.length === 0) && misses === 0 && warmupFailures === 0;
console.log(`\nevery request answered 2xx: ${allOk ? "yes" : "NO"}`);

child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
await sqlClient.end();
await admin.unsafe(`drop database if exists ${dbName} with (force)`);
await admin.end();
process.exit(allOk ? 0 : 1);
