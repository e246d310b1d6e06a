// The database renders users and groups itself (dsync_user_json / dsync_group_json, migration 0006)
// for the events stored by reference: it must be exactly what the TypeScript renderers build from
// the same row, after inserts and after updates, on PGlite and Postgres.
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directoryGroups, directoryUsers } from "../src/db/schema.js";
import { newId } from "../src/model/index.js";
import { toDirectoryGroup, toDirectoryUser, type GroupRow, type UserRow } from "../src/sync/render.js";
import { rowsOf } from "../src/sync/bulk.js";
import { createHarness, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const user = (scope: { organizationId: string; directoryId: string }): UserRow => ({
  id: newId("directory_user"),
  directoryId: scope.directoryId,
  organizationId: scope.organizationId,
  idpId: "6b87d887-cc95-4944-a040-ff12fdaa8223",
  firstName: "Zoë",
  lastName: 'O"Brien \\ the second',
  name: "Zoë O'Brien",
  email: "zoe@acme.test",
  emails: [{ primary: true, type: "work", value: "zoe@acme.test" }],
  username: "zoe@acme.test",
  jobTitle: null,
  state: "active",
  customAttributes: { department: "R&D", manager_id: null, big: 12345678901234567890, small: 0.1 },
  rawAttributes: { id: "6b87", nested: { list: [1, 2.5, "x", true], flag: false }, "emoji 🙂": "\u2028", empty: {} },
  role: { slug: "admin" },
  syncMark: "run_1",
  createdAt: new Date("2026-11-29T09:31:27.006Z"),
  updatedAt: new Date("2026-11-29T10:00:00.000Z"),
});

async function rendered(table: "directory_users" | "directory_groups", id: string): Promise<unknown> {
  const render = sql.raw(table === "directory_users" ? "dsync_user_json" : "dsync_group_json");
  const [row] = rowsOf<{ j: string }>(await h.deps.db.execute(sql`select ${render}(t) as j from ${sql.identifier(table)} t where id = ${id}`));
  return JSON.parse(row!.j);
}

describe("SQL renderings", () => {
  it.each([
    ["a user with every field", {}],
    ["a user with nulls, no emails and no role", { firstName: null, lastName: null, name: null, email: null, username: null, role: null, emails: [] }],
    ["an inactive user in another year", { state: "inactive" as const, createdAt: new Date("1999-01-02T03:04:05.999Z") }],
  ])("render %s exactly as toDirectoryUser (without groups)", async (_name, change) => {
    const scope = await h.directory();
    const row = { ...user(scope), ...change };
    await h.deps.db.insert(directoryUsers).values(row);
    const [stored] = await h.deps.db.select().from(directoryUsers).where(eq(directoryUsers.id, row.id));
    const { groups: _groups, ...expected } = toDirectoryUser(stored!, []);
    expect(await rendered("directory_users", row.id)).toStrictEqual(expected);
  });

  it("follows updates of rendered columns", async () => {
    const scope = await h.directory();
    const row = user(scope);
    await h.deps.db.insert(directoryUsers).values(row);
    await h.deps.db.update(directoryUsers).set({ role: null, state: "inactive", updatedAt: new Date("2026-12-01T00:00:00.000Z") }).where(eq(directoryUsers.id, row.id));
    const [stored] = await h.deps.db.select().from(directoryUsers).where(eq(directoryUsers.id, row.id));
    const { groups: _groups, ...expected } = toDirectoryUser(stored!, []);
    expect(await rendered("directory_users", row.id)).toStrictEqual(expected);
    expect(expected).toMatchObject({ role: null, state: "inactive", updated_at: "2026-12-01T00:00:00.000Z" });
  });

  it("render a group exactly as toDirectoryGroup", async () => {
    const scope = await h.directory();
    const row: GroupRow = {
      id: newId("directory_group"),
      directoryId: scope.directoryId,
      organizationId: scope.organizationId,
      idpId: "g-1",
      name: 'Ops "EMEA" \\ 🙂',
      rawAttributes: { members: [], mail: null },
      syncMark: null,
      createdAt: new Date("2026-11-29T09:31:27.616Z"),
      updatedAt: new Date("2026-11-29T09:31:27.617Z"),
    };
    await h.deps.db.insert(directoryGroups).values(row);
    expect(await rendered("directory_groups", row.id)).toStrictEqual(toDirectoryGroup(row));
  });
});
