import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowsOf } from "../src/sync/bulk.js";
import { FEED_START, listDirectoryEventsBySeq, ops, readSettledEventsAfter, waitForSettledFeed, type DirectoryScope } from "../src/sync/index.js";
import { createHarness, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const alice = {
  idp_id: "00u-alice",
  first_name: "Alice",
  last_name: "Liddell",
  email: "alice@acme.test",
  emails: [{ primary: true, type: "work", value: "alice@acme.test" }],
  username: "alice@acme.test",
  job_title: "Engineer",
  raw_attributes: { department: "R&D", title: "Engineer" },
  custom_attributes: { department: "R&D" },
};

async function eventsOf(scope: DirectoryScope) {
  return listDirectoryEventsBySeq(h.deps.db, scope.directoryId);
}

describe("users", () => {
  it("creates a user once and emits nothing when the same record arrives again", async () => {
    const scope = await h.directory();
    const first = await h.deps.reconciler.upsertUser(scope, alice);
    const second = await h.deps.reconciler.upsertUser(scope, { ...alice });
    expect(first.change).toBe("created");
    expect(second.change).toBe("unchanged");
    expect(first.user).toMatchObject({ object: "directory_user", name: "Alice Liddell", state: "active", groups: [], role: null });
    expect(first.user.id).toMatch(/^directory_user_[0-9A-Z]{26}$/);
    const events = await eventsOf(scope);
    expect(events.map((e) => e.event)).toEqual(["dsync.user.created"]);
    expect(events[0]!.data).toMatchObject({ id: first.user.id, email: "alice@acme.test" });
  });

  it("emits dsync.user.updated with previous_attributes holding exactly the changed keys", async () => {
    const scope = await h.directory();
    await h.deps.reconciler.upsertUser(scope, alice);
    h.clock.advance(1000);
    const updated = await h.deps.reconciler.upsertUser(scope, {
      ...alice,
      last_name: "Hargreaves",
      raw_attributes: { department: "Sales", title: "Engineer", manager: "bob" },
      custom_attributes: { department: "R&D" },
    });
    expect(updated.change).toBe("updated");
    const [, event] = await eventsOf(scope);
    expect(event!.event).toBe("dsync.user.updated");
    expect(event!.data.last_name).toBe("Hargreaves");
    expect(event!.data.previous_attributes).toEqual({
      last_name: "Liddell",
      name: "Alice Liddell",
      raw_attributes: { department: "R&D", manager: null },
    });
    expect(event!.data.updated_at).not.toBe(event!.data.created_at);
  });

  it("deactivates a user (state inactive, dsync.user.updated) and keeps it", async () => {
    const scope = await h.directory();
    const { user } = await h.deps.reconciler.upsertUser(scope, alice);
    const result = await h.deps.reconciler.deactivateUser(scope, { id: user.id });
    expect(result.user.state).toBe("inactive");
    const events = await eventsOf(scope);
    expect(events.at(-1)).toMatchObject({ event: "dsync.user.updated", data: { state: "inactive", previous_attributes: { state: "active" } } });
    expect((await h.json("GET", `/directory_users/${user.id}`)).state).toBe("inactive");
  });

  it("deletes a user with dsync.user.deleted carrying its groups, and nothing for an unknown user", async () => {
    const scope = await h.directory();
    const { user } = await h.deps.reconciler.upsertUser(scope, alice);
    await h.deps.reconciler.upsertGroup(scope, { idp_id: "g1", name: "Admins" });
    await h.deps.reconciler.addGroupMembers(scope, { idp_id: "g1" }, [{ idp_id: alice.idp_id }]);
    expect(await h.deps.reconciler.deleteUser(scope, { idp_id: alice.idp_id })).toBe(true);
    expect(await h.deps.reconciler.deleteUser(scope, { idp_id: alice.idp_id })).toBe(false);
    const events = await eventsOf(scope);
    expect(events.map((e) => e.event)).toEqual(["dsync.user.created", "dsync.group.created", "dsync.group.user_added", "dsync.user.deleted"]);
    expect((events[3]!.data as any).groups.map((g: any) => g.name)).toEqual(["Admins"]);
    expect((await h.request("GET", `/directory_users/${user.id}`)).status).toBe(404);
  });

  it("stores the later version of a new user the batch names twice, as created then updated", async () => {
    const scope = await h.directory();
    const results = await h.deps.reconciler.write(scope, (w) => ops.upsertUsers(w, [alice, { ...alice, job_title: "Manager", raw_attributes: { title: "Manager" } }]));
    expect(results.map((r) => r.change)).toEqual(["created", "updated"]);
    const [stored] = await h.deps.reconciler.write(scope, (w) => ops.upsertUsers(w, [{ ...alice, job_title: "Manager", raw_attributes: { title: "Manager" } }]));
    expect(stored!.change).toBe("unchanged");
    expect(stored!.user).toMatchObject({ id: results[0]!.user.id, job_title: "Manager", raw_attributes: { title: "Manager" }, name: "Alice Liddell", email: "alice@acme.test" });
    const events = await eventsOf(scope);
    expect(events.map((e) => e.event)).toEqual(["dsync.user.created", "dsync.user.updated"]);
    expect(events[1]!.data).toMatchObject({ job_title: "Manager", previous_attributes: { job_title: "Engineer" } });
  });

  it("keeps directories apart: the same idp_id in two directories is two users", async () => {
    const a = await h.directory();
    const b = await h.directory();
    const inA = await h.deps.reconciler.upsertUser(a, alice);
    const inB = await h.deps.reconciler.upsertUser(b, alice);
    expect(inA.user.id).not.toBe(inB.user.id);
    await expect(h.deps.reconciler.deactivateUser(b, { id: inA.user.id })).rejects.toMatchObject({ code: "not_found" });
  });

  it("refuses a write to a directory under the wrong organization", async () => {
    const a = await h.directory();
    const b = await h.directory();
    await expect(h.deps.reconciler.upsertUser({ organizationId: b.organizationId, directoryId: a.directoryId }, alice)).rejects.toMatchObject({
      code: "not_found",
    });
  });
});

describe("groups and memberships", () => {
  it("renames a group with previous_attributes and emits nothing for an unchanged group", async () => {
    const scope = await h.directory();
    await h.deps.reconciler.upsertGroup(scope, { idp_id: "g1", name: "Engineering" });
    expect((await h.deps.reconciler.upsertGroup(scope, { idp_id: "g1", name: "Engineering" })).change).toBe("unchanged");
    await h.deps.reconciler.upsertGroup(scope, { idp_id: "g1", name: "R&D" });
    const events = await eventsOf(scope);
    expect(events.map((e) => e.event)).toEqual(["dsync.group.created", "dsync.group.updated"]);
    expect(events[1]!.data).toMatchObject({ name: "R&D", previous_attributes: { name: "Engineering" } });
  });

  it("adds, removes and replaces members, emitting only real changes with { directory_id, user, group }", async () => {
    const scope = await h.directory();
    for (const id of ["u1", "u2", "u3"]) await h.deps.reconciler.upsertUser(scope, { idp_id: id, email: `${id}@acme.test` });
    await h.deps.reconciler.upsertGroup(scope, { idp_id: "g1", name: "Staff" });
    const g = { idp_id: "g1" };

    const added = await h.deps.reconciler.addGroupMembers(scope, g, [{ idp_id: "u1" }, { idp_id: "u2" }, { idp_id: "nobody" }]);
    expect(added.added).toHaveLength(2);
    expect(added.missing).toEqual([{ idp_id: "nobody" }]);
    expect((await h.deps.reconciler.addGroupMembers(scope, g, [{ idp_id: "u1" }])).added).toEqual([]);

    const replaced = await h.deps.reconciler.replaceGroupMembers(scope, g, [{ idp_id: "u2" }, { idp_id: "u3" }]);
    expect(replaced.added).toHaveLength(1);
    expect(replaced.removed).toHaveLength(1);
    await h.deps.reconciler.removeGroupMembers(scope, g, [{ idp_id: "u3" }, { idp_id: "u1" }]);

    const membership = (await eventsOf(scope)).filter((e) => e.event.startsWith("dsync.group.user_"));
    expect(membership.map((e) => [e.event, (e.data as any).user.idp_id])).toEqual([
      ["dsync.group.user_added", "u1"],
      ["dsync.group.user_added", "u2"],
      ["dsync.group.user_removed", "u1"],
      ["dsync.group.user_added", "u3"],
      ["dsync.group.user_removed", "u3"],
    ]);
    const first = membership[0]!.data as any;
    expect(first.directory_id).toBe(scope.directoryId);
    expect(first.group).toMatchObject({ object: "directory_group", name: "Staff" });
    // The user as the API renders it, without `groups` (unbounded; WorkOS's membership events omit it too).
    const { groups: _groups, ...apiUser } = await h.json("GET", `/directory_users/${first.user.id}`);
    expect(first.user).toStrictEqual(apiUser);
  });

  it("rejects membership changes on an unknown group", async () => {
    const scope = await h.directory();
    await expect(h.deps.reconciler.addGroupMembers(scope, { idp_id: "ghost" }, [])).rejects.toMatchObject({ code: "not_found" });
  });

  it("deleting a group removes its memberships without user_removed events", async () => {
    const scope = await h.directory();
    const { user } = await h.deps.reconciler.upsertUser(scope, alice);
    await h.deps.reconciler.upsertGroup(scope, { idp_id: "g1", name: "Admins" });
    await h.deps.reconciler.addGroupMembers(scope, { idp_id: "g1" }, [{ id: user.id }]);
    await h.deps.reconciler.deleteGroup(scope, { idp_id: "g1" });
    expect((await eventsOf(scope)).at(-1)!.event).toBe("dsync.group.deleted");
    expect((await h.json("GET", `/directory_users/${user.id}`)).groups).toEqual([]);
  });
});

describe("one unit of work", () => {
  it("commits several operations and their events together, or none of them", async () => {
    const scope = await h.directory();
    await expect(
      h.deps.reconciler.write(scope, async (w) => {
        await ops.upsertUsers(w, [{ idp_id: "u1" }]);
        await ops.addGroupMembers(w, { idp_id: "missing-group" }, [{ idp_id: "u1" }]);
      }),
    ).rejects.toMatchObject({ code: "not_found" });
    expect(await eventsOf(scope)).toEqual([]);
    expect((await h.json("GET", `/directory_users?directory=${scope.directoryId}`)).data).toEqual([]);
  });

  it("a failing write batched with others fails alone", async () => {
    const scope = await h.directory();
    const results = await Promise.allSettled([
      h.deps.reconciler.upsertUser(scope, { idp_id: "ok-1" }),
      h.deps.reconciler.addGroupMembers(scope, { idp_id: "missing-group" }, []),
      h.deps.reconciler.upsertUser(scope, { idp_id: "ok-2" }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((await eventsOf(scope)).map((e) => e.directory_seq)).toEqual([1, 2]);
  });
});

describe("full snapshots", () => {
  const snapshot = {
    users: [
      { idp_id: "u1", email: "u1@acme.test" },
      { idp_id: "u2", email: "u2@acme.test" },
      { idp_id: "u3", email: "u3@acme.test" },
    ],
    groups: [
      { idp_id: "g1", name: "One" },
      { idp_id: "g2", name: "Two" },
    ],
    memberships: [
      { group_idp_id: "g1", user_idp_id: "u1" },
      { group_idp_id: "g1", user_idp_id: "u2" },
      { group_idp_id: "g2", user_idp_id: "u3" },
    ],
  };

  it("creates everything, then applying it again emits nothing", async () => {
    const scope = await h.directory();
    const first = await h.deps.reconciler.applySnapshot(scope, snapshot);
    expect(first.users).toEqual({ created: 3, updated: 0, unchanged: 0, deleted: 0 });
    expect(first.memberships).toEqual({ added: 3, removed: 0, missing: 0 });
    const before = (await eventsOf(scope)).length;
    const again = await h.deps.reconciler.applySnapshot(scope, snapshot);
    expect(again.users).toEqual({ created: 0, updated: 0, unchanged: 3, deleted: 0 });
    expect((await eventsOf(scope)).length).toBe(before);
  });

  it("deletes what the snapshot lacks, in small batches, and reports missing members", async () => {
    const scope = await h.directory();
    await h.deps.reconciler.applySnapshot(scope, snapshot);
    const counts = await h.deps.reconciler.applySnapshot(
      scope,
      {
        users: [{ idp_id: "u1", email: "u1@acme.test" }, { idp_id: "u2", email: "changed@acme.test" }],
        groups: [{ idp_id: "g1", name: "One" }],
        memberships: [{ group_idp_id: "g1", user_idp_id: "u1" }, { group_idp_id: "g1", user_idp_id: "ghost" }],
      },
      1,
    );
    expect(counts.users).toEqual({ created: 0, updated: 1, unchanged: 1, deleted: 1 });
    expect(counts.groups).toEqual({ created: 0, updated: 0, unchanged: 1, deleted: 1 });
    expect(counts.memberships).toEqual({ added: 0, removed: 1, missing: 1 });
    const tail = (await eventsOf(scope)).slice(-4).map((e) => e.event);
    expect(tail).toEqual(["dsync.user.updated", "dsync.user.deleted", "dsync.group.deleted", "dsync.group.user_removed"]);
  });
});

describe("directories", () => {
  it("emits dsync.activated once when a directory becomes linked", async () => {
    const scope = await h.directory();
    await h.deps.reconciler.setDirectoryState(scope, "linked");
    await h.deps.reconciler.setDirectoryState(scope, "linked");
    const events = await eventsOf(scope);
    expect(events.map((e) => e.event)).toEqual(["dsync.activated"]);
    expect(events[0]!.data).toMatchObject({ object: "directory", id: scope.directoryId, state: "linked" });
  });

  it("deleting a directory emits dsync.deleted alone and removes its users and groups", async () => {
    const scope = await h.directory();
    await h.deps.reconciler.applySnapshot(scope, {
      users: [{ idp_id: "u1" }, { idp_id: "u2" }],
      groups: [{ idp_id: "g1", name: "G" }],
      memberships: [{ group_idp_id: "g1", user_idp_id: "u1" }],
    });
    const before = (await eventsOf(scope)).length;
    expect((await h.request("DELETE", `/directories/${scope.directoryId}`)).status).toBe(204);
    const events = await eventsOf(scope);
    expect(events.slice(before).map((e) => e.event)).toEqual(["dsync.deleted"]);
    expect(events.at(-1)!.data).toMatchObject({ id: scope.directoryId, state: "deleting" });
    expect((await h.request("GET", `/directories/${scope.directoryId}`)).status).toBe(404);
    expect((await h.json("GET", `/directory_users?directory=${scope.directoryId}`)).data).toEqual([]);
    expect(await edgesOf(scope)).toEqual([]);
  });

  it("deleting users and groups takes their membership edges with them (the edges have no foreign keys)", async () => {
    const scope = await h.directory();
    const other = await h.directory();
    const snapshot = {
      users: [{ idp_id: "u1" }, { idp_id: "u2" }, { idp_id: "u3" }],
      groups: [{ idp_id: "g1", name: "One" }, { idp_id: "g2", name: "Two" }],
      memberships: [
        { group_idp_id: "g1", user_idp_id: "u1" },
        { group_idp_id: "g1", user_idp_id: "u2" },
        { group_idp_id: "g2", user_idp_id: "u1" },
        { group_idp_id: "g2", user_idp_id: "u3" },
      ],
    };
    await h.deps.reconciler.applySnapshot(scope, snapshot);
    await h.deps.reconciler.applySnapshot(other, snapshot);
    expect(await edgesOf(scope)).toHaveLength(4);
    await h.deps.reconciler.write(scope, (w) => ops.deleteUsers(w, [{ idp_id: "u1" }]));
    expect((await edgesOf(scope)).map((e) => e.user)).toEqual(["u2", "u3"]);
    await h.deps.reconciler.deleteGroup(scope, { idp_id: "g2" });
    expect(await edgesOf(scope)).toEqual([{ group: "g1", user: "u2" }]);
    // The other directory's identical edges are untouched.
    expect(await edgesOf(other)).toHaveLength(4);
  });
});

/** The directory's stored membership edges, by IdP ids, read straight from the table. */
async function edgesOf(scope: DirectoryScope) {
  const rows = await h.deps.db.execute(sql`
    select g.idp_id as "group", u.idp_id as "user" from group_memberships m
    left join directory_groups g on g.id = m.group_id left join directory_users u on u.id = m.user_id
    where m.directory_id = ${scope.directoryId} order by 1, 2`);
  return rowsOf<{ group: string | null; user: string | null }>(rows);
}

describe("membership batches", () => {
  const users = ["u1", "u2", "u3"].map((id) => ({ idp_id: id, email: `${id}@acme.test` }));
  const groups = [
    { idp_id: "g1", name: "One" },
    { idp_id: "g2", name: "Two" },
    { idp_id: "g3", name: "Three" },
  ];
  const changes = [
    { group: { idp_id: "g1" }, users: [{ idp_id: "u1" }, { idp_id: "u2" }] },
    { group: { idp_id: "ghost" }, users: [{ idp_id: "u1" }] },
    { group: { idp_id: "g2" }, users: [{ idp_id: "u1" }, { idp_id: "nobody" }, { idp_id: "u1" }] },
    { group: { idp_id: "g3" }, users: [{ idp_id: "u2" }, { idp_id: "u1" }] },
  ];

  async function seeded() {
    const scope = await h.directory();
    await h.deps.reconciler.write(scope, async (w) => {
      await ops.upsertUsers(w, users);
      await ops.upsertGroups(w, groups);
    });
    return scope;
  }

  /** Membership events without ids and times, which differ between directories. */
  async function membershipPayloads(scope: DirectoryScope) {
    const strip = (o: any) => ({ idp_id: o.idp_id, name: o.name ?? null, raw_attributes: o.raw_attributes });
    return (await eventsOf(scope))
      .filter((e) => e.event.startsWith("dsync.group.user_"))
      .map((e) => {
        const d = e.data as any;
        return [e.event, d.directory_id === scope.directoryId, strip(d.group), { ...strip(d.user), email: d.user.email, has_groups: "groups" in d.user }];
      });
  }

  it("emits what applying the changes one group at a time emits, in the order the changes name the edges", async () => {
    const batched = await seeded();
    const results = await h.deps.reconciler.write(batched, (w) => ops.addMemberships(w, changes));
    expect(results[1]).toBeNull();
    expect(results.map((r) => r?.added.length ?? null)).toEqual([2, null, 1, 2]);
    expect(results[2]!.missing).toEqual([{ idp_id: "nobody" }]);

    const oneByOne = await seeded();
    for (const change of changes) {
      await h.deps.reconciler.write(oneByOne, async (w) => {
        await ops.addGroupMembers(w, change.group, change.users).catch((error) => expect(error.code).toBe("not_found"));
      });
    }
    const expected = await membershipPayloads(oneByOne);
    expect(await membershipPayloads(batched)).toEqual(expected);
    expect(expected.map((e) => [(e[2] as any).idp_id, (e[3] as any).idp_id, (e[3] as any).has_groups])).toEqual([
      ["g1", "u1", false],
      ["g1", "u2", false],
      ["g2", "u1", false],
      ["g3", "u2", false],
      ["g3", "u1", false],
    ]);
  });

  it("removes in one batch, in order, and a repeated batch changes nothing", async () => {
    const scope = await seeded();
    await h.deps.reconciler.write(scope, (w) => ops.addMemberships(w, changes));
    const before = (await eventsOf(scope)).length;
    expect(await h.deps.reconciler.write(scope, (w) => ops.addMemberships(w, changes))).toMatchObject([{ added: [] }, null, { added: [] }, { added: [] }]);
    expect((await eventsOf(scope)).length).toBe(before);

    const removals = [
      { group: { idp_id: "g1" }, users: [{ idp_id: "u1" }] },
      { group: { idp_id: "g3" }, users: [{ idp_id: "u1" }, { idp_id: "u3" }] },
    ];
    const results = await h.deps.reconciler.write(scope, (w) => ops.removeMemberships(w, removals));
    expect(results.map((r) => r!.removed.length)).toEqual([1, 1]);
    const removed = (await membershipPayloads(scope)).filter((e) => e[0] === "dsync.group.user_removed");
    expect(removed.map((e) => [(e[2] as any).idp_id, (e[3] as any).idp_id])).toEqual([
      ["g1", "u1"],
      ["g3", "u1"],
    ]);
  });
});

describe("large units of work", () => {
  it("writes thousands of events of one transaction in sequence order, in the feed too", async () => {
    const scope = await h.directory();
    const many = Array.from({ length: 2300 }, (_, i) => ({ idp_id: `bulk-${i}`, email: `bulk-${i}@acme.test` }));
    await h.deps.reconciler.write(scope, async (w) => {
      await ops.upsertUsers(w, many);
      await ops.upsertGroups(w, [{ idp_id: "all", name: "All" }]);
      await ops.addMemberships(w, [{ group: { idp_id: "all" }, users: many.map((u) => ({ idp_id: u.idp_id })) }]);
    });
    const bySeq = await eventsOf(scope);
    expect(bySeq.map((e) => e.directory_seq)).toEqual(Array.from({ length: 4601 }, (_, i) => i + 1));
    expect(bySeq.at(-1)).toMatchObject({ event: "dsync.group.user_added", data: { user: { idp_id: "bulk-2299" } } });
    await waitForSettledFeed(h.deps.db);
    const feed = (await readSettledEventsAfter(h.deps.db, FEED_START, 100_000)).filter((e) => e.directory_id === scope.directoryId);
    expect(feed.map((e) => e.directory_seq)).toEqual(bySeq.map((e) => e.directory_seq));
  });
});
