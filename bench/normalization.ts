// Normalization costs on one directory: re-normalizing N stored users after a mapping change, a
// whole-directory role recompute after a role-mapping change, and a membership batch with and
// without role rules (rules add one statement per batch; none without them).
// Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench npx tsx bench/normalization.ts [users]
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/client.js";
import { and, eq } from "drizzle-orm";
import { directoryGroups } from "../src/db/schema.js";
import { normalizeUserRecord, PRESETS } from "../src/normalize/index.js";
import { setAttributeMapping, setRoleMapping } from "../src/sync/directory-mappings.js";
import { OPERATOR, ops, SnapshotRun } from "../src/sync/index.js";
import { DirectoryWriter } from "../src/sync/write-queue.js";
import { createDirectory } from "../src/tenancy/directories.js";
import { createOrganization } from "../src/tenancy/organizations.js";

const total = Number(process.argv[2] ?? 20000);
const config = loadConfig();
const database = await openDatabase({ url: config.DATABASE_URL, dataDir: "memory://", poolSize: 4 });
await database.migrate();
const clock = { now: () => new Date() };
const writer = new DirectoryWriter(database.db, clock);
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

async function directory(label: string) {
  const org = await createOrganization(database.db, { name: `bench ${label}` }, clock.now());
  const dir = await createDirectory(database.db, OPERATOR, { organization_id: org.id, type: "okta scim v2.0", name: label }, clock.now());
  return { organizationId: org.id, directoryId: dir.id };
}

async function timed<T>(label: string, count: number, unit: string, body: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await body();
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label.padEnd(44)} ${count} ${unit} in ${seconds.toFixed(2)} s: ${(count / seconds).toFixed(0)} ${unit}/s`);
  return result;
}

/** Loads users as a SCIM push would store them, plus 20 groups of members, through a snapshot. */
async function seed(scope: { organizationId: string; directoryId: string }): Promise<void> {
  const run = new SnapshotRun(writer, scope);
  for (let i = 0; i < total; i += 1000) {
    await run.users(
      Array.from({ length: Math.min(1000, total - i) }, (_, k) => {
        const n = i + k;
        const raw = {
          userName: `u${n}@bench.test`,
          name: { givenName: "Bench", familyName: `User ${n}` },
          emails: [{ value: `u${n}@bench.test`, type: "work", primary: true }, { value: `U${n}@home.test`, type: "home" }],
          active: true,
          [ENTERPRISE]: { department: `Dept ${n % 7}`, employeeNumber: `E${n}` },
        };
        return normalize(raw, `u${n}`);
      }),
    );
  }
  await run.groups(Array.from({ length: 20 }, (_, g) => ({ idp_id: `g${g}`, name: `Group ${g}` })));
}

const normalize = (raw: Record<string, unknown>, id: string) => normalizeUserRecord(PRESETS["okta scim v2.0"].user, raw, id);

async function memberships(scope: { organizationId: string; directoryId: string }, group: number): Promise<void> {
  for (let i = 0; i < total; i += 1000) {
    const users = Array.from({ length: Math.min(1000, total - i) }, (_, k) => ({ idp_id: `u${i + k}` }));
    await writer.run(scope, (w) => ops.addMemberships(w, [{ group: { idp_id: `g${group}` }, users }]));
  }
}

console.log(`database: ${database.kind}, ${total} users`);
const scope = await directory("normalization");
await timed("seed (snapshot of SCIM-shaped users)", total, "users", () => seed(scope));

const changed = await timed("re-normalize: mapping change (all change)", total, "users", () =>
  setAttributeMapping(writer, scope, { fields: { email: { sources: [{ path: 'emails[type eq "home"].value', transforms: [{ type: "lowercase" }] }] } } }),
);
console.log(`  -> ${JSON.stringify(changed)}`);
const same = await timed("re-normalize: same mapping again (no change)", total, "users", () =>
  setAttributeMapping(writer, scope, { fields: { email: { sources: [{ path: 'emails[type eq "home"].value', transforms: [{ type: "lowercase" }] }] } } }),
);
console.log(`  -> ${JSON.stringify(same)}`);

await timed("memberships, no role rules (group 0)", total, "memberships", () => memberships(scope, 0));

const [g1] = await database.db.select().from(directoryGroups).where(and(eq(directoryGroups.directoryId, scope.directoryId), eq(directoryGroups.idpId, "g1")));
if (!g1) throw new Error("group g1 missing");
const recomputed = await timed("role mapping change: recompute all", total, "users", () =>
  setRoleMapping(writer, scope, { default_role: "member", rules: [{ group_id: g1.id, role_slug: "admin", priority: 1 }] }),
);
console.log(`  -> ${JSON.stringify(recomputed)}`);
await timed("memberships with role rules (group 1: all change role)", total, "memberships", () => memberships(scope, 1));
await timed("memberships with role rules (group 2: no role change)", total, "memberships", () => memberships(scope, 2));
await database.close();
