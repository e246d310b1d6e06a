// SCIM writes and lookups waiting for one directory are served together (user creates and member-only
// group PATCHes as batched writes, userName lookups as one shared query). Batching must never change an
// answer: each test compares a batched run with the same requests made one at a time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DirectoryUser } from "../../src/model/index.js";
import { scimMemberPatches, type MemberPatch } from "../../src/scim/member-patches.js";
import { scimError } from "../../src/scim/errors.js";
import { scimUserCreates, type UserCreate } from "../../src/scim/user-creates.js";
import { scimUserDeletes } from "../../src/scim/user-deletes.js";
import { scimUserWrites, type UserWrite } from "../../src/scim/user-writes.js";
import { listDirectoryEventsBySeq, type DirectoryScope } from "../../src/sync/index.js";
import { createHarness, type Harness } from "../harness.js";
import { filterQuery, GROUP, PATCH_OP, scimDirectory, USER, type ScimDirectory } from "./scim-client.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** A directory's events with ids and times left out: what two runs of the same requests must share. */
async function eventShapes(scope: DirectoryScope, ids: Map<string, string>) {
  const events = await listDirectoryEventsBySeq(h.deps.db, scope.directoryId);
  ids = new Map([...ids, [scope.directoryId, "directory"], [scope.organizationId, "organization"]]);
  // Ids differ between directories: each is replaced by the name the test gave the object.
  const rename = (value: unknown): unknown => {
    if (typeof value === "string") return ids.get(value) ?? value;
    if (Array.isArray(value)) return value.map(rename);
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([key]) => !["directory_id", "organization_id", "created_at", "updated_at", "idp_id"].includes(key))
          .map(([key, v]) => [key, rename(v)]),
      );
    }
    return value;
  };
  return events.map((e) => ({ event: e.event, seq: e.directory_seq, data: rename(e.data) }));
}

describe("batched user creates", () => {
  const requests = (): UserCreate[] => [
    { resource: { schemas: [USER], userName: "ann@acme.test", externalId: "e1" }, userName: "ann@acme.test", externalId: "e1" },
    { resource: { schemas: [USER], userName: "ANN@acme.test" }, userName: "ANN@acme.test", externalId: null },
    { resource: { schemas: [USER], userName: "bob@acme.test", externalId: "e1" }, userName: "bob@acme.test", externalId: "e1" },
    { resource: { schemas: [USER], userName: "cat@acme.test", externalId: "e3", title: "Engineer" }, userName: "cat@acme.test", externalId: "e3" },
    { resource: { schemas: [USER], userName: "taken@acme.test" }, userName: "taken@acme.test", externalId: null },
    { resource: { schemas: [USER], userName: "dan@acme.test", externalId: "e4" }, userName: "dan@acme.test", externalId: "e4" },
  ];

  it("answers and emits exactly what creating the users one at a time does", async () => {
    const run = async (batched: boolean) => {
      const dir = await scimDirectory(h);
      const taken = (await dir.call("POST", "/Users", { schemas: [USER], userName: "Taken@acme.test" })).body.id as string;
      const outcomes: (DirectoryUser | Error)[] = [];
      const settle = (p: Promise<DirectoryUser>) => p.then((u) => u, (e: Error) => e);
      if (batched) {
        // Queued in one tick: one unit of work for all of them.
        outcomes.push(...(await Promise.all(requests().map((r) => settle(h.deps.reconciler.writeBatched(dir.scope, scimUserCreates, r))))));
      } else {
        for (const r of requests()) outcomes.push(await settle(h.deps.reconciler.writeBatched(dir.scope, scimUserCreates, r)));
      }
      const ids = new Map<string, string>([[taken, "taken"]]);
      outcomes.forEach((o, i) => !(o instanceof Error) && ids.set(o.id, `user${i}`));
      const answers = outcomes.map((o) => (o instanceof Error ? { error: o.message } : { userName: o.username, state: o.state }));
      return { answers, events: await eventShapes(dir.scope, ids) };
    };
    const batched = await run(true);
    const oneByOne = await run(false);
    expect(batched.answers).toEqual(oneByOne.answers);
    expect(batched.answers.map((a) => "error" in a)).toEqual([false, true, true, false, true, false]);
    expect(batched.events).toEqual(oneByOne.events);
  });
});

/** ann, bob, cat and dan created through SCIM: their ids by name, and their names by id (for readable answers). */
async function seedUsers(dir: ScimDirectory, attributes: Record<string, unknown> = {}): Promise<{ user: Record<string, string>; ids: Map<string, string> }> {
  const ids = new Map<string, string>();
  const user: Record<string, string> = {};
  for (const name of ["ann", "bob", "cat", "dan"]) {
    user[name] = (await dir.call("POST", "/Users", { schemas: [USER], userName: `${name}@acme.test`, ...attributes })).body.id;
    ids.set(user[name]!, name);
  }
  return { user, ids };
}

describe("batched user replaces and patches", () => {
  it("answer and emit exactly what applying them one at a time does, renames and repeats included", async () => {
    const run = async (batched: boolean) => {
      const dir = await scimDirectory(h);
      const { user, ids } = await seedUsers(dir, { title: "Engineer" });
      const set = (changes: Record<string, unknown>) => (current: Record<string, unknown>) => ({ ...current, ...changes });
      const writes: UserWrite[] = [
        { id: user.ann!, next: set({ active: false }) },
        { id: user.bob!, next: set({ userName: "CAT@acme.test" }) }, // held by cat: 409
        { id: user.dan!, next: set({ userName: "dan.renamed@acme.test" }) },
        { id: user.cat!, next: set({ userName: "dan@acme.test" }) }, // freed by dan just before
        { id: user.ann!, next: set({ title: "Manager" }) }, // ann again: sees her deactivation
        { id: "directory_user_01H0000000000000000000000", next: set({}) },
        { id: user.bob!, next: () => { throw scimError("invalid_input", "no such path", "invalidPath"); } },
        { id: user.bob!, next: set({ userName: "cat@acme.test" }) }, // cat moved away: allowed now
      ];
      const settle = (p: Promise<DirectoryUser>) => p.then((u) => ({ userName: u.username, state: u.state, title: u.job_title }), (e: Error) => ({ error: e.message }));
      const answers: unknown[] = [];
      if (batched) answers.push(...(await Promise.all(writes.map((write) => settle(h.deps.reconciler.writeBatched(dir.scope, scimUserWrites, write))))));
      else for (const write of writes) answers.push(await settle(h.deps.reconciler.writeBatched(dir.scope, scimUserWrites, write)));
      return { answers, events: await eventShapes(dir.scope, ids) };
    };
    const batched = await run(true);
    const oneByOne = await run(false);
    expect(batched.answers).toEqual(oneByOne.answers);
    expect(batched.answers).toEqual([
      { userName: "ann@acme.test", state: "inactive", title: "Engineer" },
      { error: 'a user with userName "CAT@acme.test" already exists' },
      { userName: "dan.renamed@acme.test", state: "active", title: "Engineer" },
      { userName: "dan@acme.test", state: "active", title: "Engineer" },
      { userName: "ann@acme.test", state: "inactive", title: "Manager" },
      { error: "user not found: directory_user_01H0000000000000000000000" },
      { error: "no such path" },
      { userName: "cat@acme.test", state: "active", title: "Engineer" },
    ]);
    expect(batched.events).toEqual(oneByOne.events);
  });
});

describe("batched user deletes", () => {
  it("delete in arrival order with the events of deleting one at a time; unknown and repeated ids answer 404", async () => {
    const run = async (batched: boolean) => {
      const dir = await scimDirectory(h);
      const { user, ids } = await seedUsers(dir);
      const group = (await dir.call("POST", "/Groups", { schemas: [GROUP], displayName: "Staff", members: [{ value: user.cat }] })).body.id;
      ids.set(group, "group");
      const deletes = [user.cat!, user.ann!, "directory_user_01H0000000000000000000000", user.cat!, user.dan!];
      const settle = (p: Promise<DirectoryUser>) => p.then((u) => ids.get(u.id), (e: Error) => e.message.replace(/directory_user_\w+/, (m) => ids.get(m) ?? m));
      const answers: unknown[] = [];
      if (batched) answers.push(...(await Promise.all(deletes.map((id) => settle(h.deps.reconciler.writeBatched(dir.scope, scimUserDeletes, { id }))))));
      else for (const id of deletes) answers.push(await settle(h.deps.reconciler.writeBatched(dir.scope, scimUserDeletes, { id })));
      const left = (await dir.call("GET", "/Users")).body.Resources.map((r: { id: string }) => ids.get(r.id));
      return { answers, left, events: await eventShapes(dir.scope, ids) };
    };
    const batched = await run(true);
    const oneByOne = await run(false);
    expect(batched.answers).toEqual(["cat", "ann", "user not found: directory_user_01H0000000000000000000000", "user not found: cat", "dan"]);
    expect(batched.answers).toEqual(oneByOne.answers);
    expect(batched.left).toEqual(["bob"]);
    expect(batched.events).toEqual(oneByOne.events);
    const deletedEvents = batched.events.filter((e) => e.event === "dsync.user.deleted");
    expect(deletedEvents.map((e) => (e.data as any).id)).toEqual(["cat", "ann", "dan"]);
    expect((deletedEvents[0]!.data as any).groups.map((g: { id: string }) => g.id)).toEqual(["group"]);
  });
});

describe("batched member PATCHes", () => {
  /** Three users and two groups; PATCHes named by index. */
  async function setup() {
    const dir = await scimDirectory(h);
    const users = await Promise.all([0, 1, 2].map(async (i) => (await dir.call("POST", "/Users", { schemas: [USER], userName: `m${i}@acme.test` })).body.id as string));
    const groups = await Promise.all(["Red", "Blue"].map(async (name) => (await dir.call("POST", "/Groups", { schemas: [GROUP], displayName: name })).body.id as string));
    const ids = new Map<string, string>([...users.map((id, i) => [id, `user${i}`] as const), ...groups.map((id, i) => [id, `group${i}`] as const)]);
    return { dir, users, groups, ids };
  }

  const script = (users: string[], groups: string[]): MemberPatch[] => [
    { groupId: groups[0]!, changes: [{ kind: "add", ids: [users[0]!, users[1]!] }] },
    { groupId: groups[1]!, changes: [{ kind: "add", ids: [users[0]!] }] },
    { groupId: "directory_group_01H0000000000000000000000", changes: [{ kind: "add", ids: [users[2]!] }] },
    { groupId: groups[0]!, changes: [{ kind: "remove", ids: [users[0]!] }, { kind: "add", ids: [users[2]!, "not-a-user"] }] },
    { groupId: groups[0]!, changes: [{ kind: "add", ids: [users[0]!, users[1]!] }] },
    { groupId: groups[1]!, changes: [{ kind: "remove", ids: [users[1]!] }] },
  ];

  it("apply in arrival order with the events of applying them one at a time; an unknown group fails alone", async () => {
    const run = async (batched: boolean) => {
      const { dir, users, groups, ids } = await setup();
      const patches = script(users, groups);
      const settle = (p: Promise<unknown>) => p.then(() => "ok", (e: Error) => e.message);
      const answers: string[] = [];
      if (batched) answers.push(...(await Promise.all(patches.map((p) => settle(h.deps.reconciler.writeBatched(dir.scope, scimMemberPatches, p))))));
      else for (const p of patches) answers.push(await settle(h.deps.reconciler.writeBatched(dir.scope, scimMemberPatches, p)));
      const members = await Promise.all(groups.map(async (g) => ((await dir.call("GET", `/Groups/${g}`)).body.members ?? []).map((m: { value: string }) => ids.get(m.value)).sort()));
      return { answers, members, events: await eventShapes(dir.scope, ids) };
    };
    const batched = await run(true);
    const oneByOne = await run(false);
    expect(batched.answers).toEqual(["ok", "ok", "group not found: directory_group_01H0000000000000000000000", "ok", "ok", "ok"]);
    expect(batched.answers).toEqual(oneByOne.answers);
    expect(batched.members).toEqual([["user0", "user1", "user2"], ["user0"]]);
    expect(batched.members).toEqual(oneByOne.members);
    expect(batched.events).toEqual(oneByOne.events);
    expect(batched.events.filter((e) => e.event.startsWith("dsync.group.user_")).map((e) => [e.event.slice(12), (e.data as any).user.id, (e.data as any).group.id])).toEqual([
      ["user_added", "user0", "group0"],
      ["user_added", "user1", "group0"],
      ["user_added", "user0", "group1"],
      ["user_removed", "user0", "group0"],
      ["user_added", "user2", "group0"],
      ["user_added", "user0", "group0"],
    ]);
  });

  it("answers a PATCH to an unknown group 404 over HTTP while concurrent PATCHes to real groups apply", async () => {
    const { dir, users, groups } = await setup();
    const patch = (value: string[]) => ({ schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: value.map((v) => ({ value: v })) }] });
    const results = await Promise.all([
      dir.call("PATCH", `/Groups/${groups[0]}`, patch(users)),
      dir.call("PATCH", "/Groups/directory_group_01H0000000000000000000000", patch(users)),
      dir.call("PATCH", `/Groups/${groups[1]}`, patch(users.slice(1))),
    ]);
    expect(results.map((r) => r.status)).toEqual([204, 404, 204]);
    expect(results[1]!.body).toMatchObject({ status: "404", detail: "group not found: directory_group_01H0000000000000000000000" });
    const added = (await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId)).filter((e) => e.event === "dsync.group.user_added");
    expect(added).toHaveLength(5);
  });
});

describe("shared userName lookups", () => {
  it("answer each concurrent lookup as a lookup on its own would", async () => {
    const dir: ScimDirectory = await scimDirectory(h);
    const names = ["Alice@Acme.test", "bob@acme.test", "carol@acme.test"];
    for (const userName of names) await dir.call("POST", "/Users", { schemas: [USER], userName });
    const group = (await dir.call("POST", "/Groups", { schemas: [GROUP], displayName: "Staff" })).body.id;
    const bob = (await dir.call("GET", `/Users${filterQuery('userName eq "bob@acme.test"')}`)).body.Resources[0].id;
    await dir.call("PATCH", `/Groups/${group}`, { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: bob }] }] });
    const queries = [
      filterQuery('userName eq "alice@acme.test"'),
      filterQuery('userName eq "ALICE@ACME.TEST"', "&attributes=userName"),
      filterQuery('userName eq "bob@acme.test"'),
      filterQuery('userName eq "bob@acme.test"', "&excludedAttributes=groups"),
      filterQuery('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "carol@acme.test"'),
      filterQuery('userName eq "nobody@acme.test"'),
      filterQuery('userName eq "carol@acme.test"', "&count=0"),
      filterQuery('userName eq "carol@acme.test"', "&startIndex=2"),
    ];
    const together = await Promise.all(queries.map((q) => dir.call("GET", `/Users${q}`)));
    const alone: typeof together = [];
    for (const q of queries) alone.push(await dir.call("GET", `/Users${q}`));
    expect(together.map((r) => r.body)).toEqual(alone.map((r) => r.body));
    expect(together.map((r) => r.body.totalResults)).toEqual([1, 1, 1, 1, 1, 0, 1, 1]);
    expect(together[2]!.body.Resources[0].groups).toEqual([{ value: group, display: "Staff", $ref: `${dir.baseUrl}/Groups/${group}` }]);
    expect(together[3]!.body.Resources[0]).not.toHaveProperty("groups");
    expect(together[6]!.body.Resources).toEqual([]);
    expect(together[7]!.body.Resources).toEqual([]);
  });
});
