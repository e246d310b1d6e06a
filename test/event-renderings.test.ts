// dsync.user.created and membership events are stored as references to the user's and the group's
// rendering at the time (api_version), not as copies: they must read exactly as they were written
// after the user or group changes, is deleted, or its whole directory goes.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rowsOf } from "../src/sync/bulk.js";
import { listDirectoryEventsBySeq, ops, type DirectoryScope } from "../src/sync/index.js";
import { createHarness, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const ann = { idp_id: "u-ann", first_name: "Ann", last_name: "Lee", email: "ann@acme.test", raw_attributes: { title: "Engineer" } };

async function payloads(scope: DirectoryScope) {
  return (await listDirectoryEventsBySeq(h.deps.db, scope.directoryId)).map((e) => [e.event, e.data] as const);
}

/** How many of the directory's events were stored as references (no payload of their own). */
async function storedByReference(scope: DirectoryScope): Promise<number> {
  const [row] = rowsOf<{ n: number }>(
    await h.deps.db.execute(sql`select count(*)::int as n from events where directory_id = ${scope.directoryId} and data is null`),
  );
  return row!.n;
}

describe("events stored by reference", () => {
  it("show the user and group as they stood, after both change and are deleted", async () => {
    const scope = await h.directory();
    const created = await h.deps.reconciler.upsertUser(scope, ann);
    const group = await h.deps.reconciler.upsertGroup(scope, { idp_id: "g-1", name: "Engineering" });
    const added = await h.deps.reconciler.addGroupMembers(scope, { idp_id: "g-1" }, [{ idp_id: ann.idp_id }]);
    expect(added.added).toEqual([created.user.id]);
    const before = await payloads(scope);

    h.clock.advance(1000);
    await h.deps.reconciler.upsertUser(scope, { ...ann, first_name: "Annie", raw_attributes: { title: "Manager" } });
    await h.deps.reconciler.upsertGroup(scope, { idp_id: "g-1", name: "R&D" });
    expect(await payloads(scope)).toEqual(expect.arrayContaining(before));
    await h.deps.reconciler.deleteUser(scope, { idp_id: ann.idp_id });
    await h.deps.reconciler.deleteGroup(scope, { idp_id: "g-1" });
    const after = await payloads(scope);
    expect(after.slice(0, before.length)).toEqual(before);

    const { groups: _groups, ...member } = created.user;
    expect(before).toEqual([
      ["dsync.user.created", created.user],
      ["dsync.group.created", group.group],
      ["dsync.group.user_added", { directory_id: scope.directoryId, user: member, group: group.group }],
    ]);
    expect(await storedByReference(scope)).toBe(2);
    // The later events show the later versions.
    expect(after.map(([event]) => event)).toEqual([
      "dsync.user.created",
      "dsync.group.created",
      "dsync.group.user_added",
      "dsync.user.updated",
      "dsync.group.updated",
      "dsync.user.deleted",
      "dsync.group.deleted",
    ]);
    expect(after[5]![1]).toMatchObject({ first_name: "Annie", raw_attributes: { title: "Manager" } });
  });

  it("show a user created and changed in one transaction as created, then as changed", async () => {
    const scope = await h.directory();
    const [first, second, removed] = await h.deps.reconciler.write(scope, async (w) => {
      const [created] = await ops.upsertUsers(w, [ann]);
      await ops.upsertGroups(w, [{ idp_id: "g-1", name: "Engineering" }]);
      await ops.addGroupMembers(w, { idp_id: "g-1" }, [{ idp_id: ann.idp_id }]);
      const [updated] = await ops.upsertUsers(w, [{ ...ann, job_title: "Lead" }]);
      const result = await ops.removeGroupMembers(w, { idp_id: "g-1" }, [{ idp_id: ann.idp_id }]);
      return [created!, updated!, result] as const;
    });
    const events = await payloads(scope);
    expect(events.map(([event]) => event)).toEqual([
      "dsync.user.created",
      "dsync.group.created",
      "dsync.group.user_added",
      "dsync.user.updated",
      "dsync.group.user_removed",
    ]);
    expect(events[0]![1]).toEqual(first.user);
    expect(events[0]![1]).toMatchObject({ job_title: null });
    const { groups: _before, ...added } = first.user;
    expect(events[2]![1]).toEqual({ directory_id: scope.directoryId, user: added, group: removed.group });
    const { groups: _after, ...removedUser } = second.user;
    expect(events[4]![1]).toEqual({ directory_id: scope.directoryId, user: removedUser, group: removed.group });
    expect(removedUser).toMatchObject({ job_title: "Lead" });
  });

  it("keep a deleted directory's events readable as written", async () => {
    const scope = await h.directory();
    await h.deps.reconciler.applySnapshot(scope, {
      users: [ann, { idp_id: "u-bo", first_name: "Bo" }],
      groups: [{ idp_id: "g-1", name: "Engineering" }],
      memberships: [
        { group_idp_id: "g-1", user_idp_id: ann.idp_id },
        { group_idp_id: "g-1", user_idp_id: "u-bo" },
      ],
    });
    const before = await payloads(scope);
    expect(before.map(([event]) => event)).toEqual(["dsync.user.created", "dsync.user.created", "dsync.group.created", "dsync.group.user_added", "dsync.group.user_added"]);
    expect(await storedByReference(scope)).toBe(4);
    await h.deps.reconciler.deleteDirectory(scope);
    const after = await payloads(scope);
    expect(after.slice(0, -1)).toEqual(before);
    expect(after.at(-1)![0]).toBe("dsync.deleted");
  });

  it("read the same through the REST feed", async () => {
    const scope = await h.directory();
    const created = await h.deps.reconciler.upsertUser(scope, ann);
    const group = await h.deps.reconciler.upsertGroup(scope, { idp_id: "g-1", name: 'Ops "EMEA" \\ 🙂' });
    await h.deps.reconciler.addGroupMembers(scope, { idp_id: "g-1" }, [{ id: created.user.id }]);
    const feed = await h.json("GET", `/events?organization_id=${scope.organizationId}&events=dsync.user.created,dsync.group.user_added`);
    const { groups: _groups, ...member } = created.user;
    expect(feed.data.map((e: { event: string; data: unknown }) => [e.event, e.data])).toEqual([
      ["dsync.user.created", created.user],
      ["dsync.group.user_added", { directory_id: scope.directoryId, user: member, group: group.group }],
    ]);
  });
});
