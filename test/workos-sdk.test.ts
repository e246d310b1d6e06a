// The official @workos-inc/node SDK, pointed at the gateway by host and port, reads every field.
import { NotFoundException, WorkOS } from "@workos-inc/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, TEST_API_KEY, type Harness } from "./harness.js";

let h: Harness;
let workos: WorkOS;

beforeAll(async () => {
  h = await createHarness();
  const url = new URL(await h.listen());
  workos = new WorkOS(TEST_API_KEY, { apiHostname: url.hostname, port: Number(url.port), https: false });
});
afterAll(() => h.close());

describe("@workos-inc/node against the gateway", () => {
  it("lists and gets directories, users, groups and events with every field deserialized", async () => {
    const scope = await h.directory("azure scim v2.0");
    await h.deps.reconciler.setDirectoryState(scope, "linked");
    await h.deps.reconciler.applySnapshot(scope, {
      users: [
        {
          idp_id: "entra-1",
          first_name: "Grace",
          last_name: "Hopper",
          email: "grace@navy.test",
          emails: [{ primary: true, type: "work", value: "grace@navy.test" }],
          username: "grace@navy.test",
          job_title: "Rear Admiral",
          custom_attributes: { department: "Computing" },
          raw_attributes: { userName: "grace@navy.test", active: true },
          role: { slug: "admin" },
        },
      ],
      groups: [{ idp_id: "grp-1", name: "Admirals", raw_attributes: { displayName: "Admirals" } }],
      memberships: [{ group_idp_id: "grp-1", user_idp_id: "entra-1" }],
    });
    await h.deps.reconciler.upsertUser(scope, { idp_id: "entra-1", first_name: "Grace", last_name: "Brewster Hopper", email: "grace@navy.test" });

    const directories = await workos.directorySync.listDirectories({ organizationId: scope.organizationId });
    expect(directories.data).toHaveLength(1);
    const directory = directories.data[0]!;
    expect(directory).toMatchObject({
      object: "directory",
      id: scope.directoryId,
      organizationId: scope.organizationId,
      name: "Acme directory",
      type: "azure scim v2.0",
      state: "active", // the SDK maps "linked" to "active"
      externalKey: scope.directoryId,
    });
    expect(Date.parse(directory.createdAt)).not.toBeNaN();
    expect(await workos.directorySync.getDirectory(scope.directoryId)).toEqual(directory);

    const users = await workos.directorySync.listUsers({ directory: scope.directoryId });
    expect(users.data).toHaveLength(1);
    const user = users.data[0]!;
    expect(user).toMatchObject({
      object: "directory_user",
      idpId: "entra-1",
      directoryId: scope.directoryId,
      organizationId: scope.organizationId,
      firstName: "Grace",
      lastName: "Brewster Hopper",
      email: "grace@navy.test",
      state: "active",
      customAttributes: {},
      rawAttributes: {},
      // A role comes from role mapping, not from the IdP's record: an upsert without one keeps it.
      role: { slug: "admin" },
    });
    expect(user.groups.map((g) => g.name)).toEqual(["Admirals"]);
    expect(user.groups[0]).toMatchObject({ idpId: "grp-1", directoryId: scope.directoryId, organizationId: scope.organizationId });
    expect(await workos.directorySync.getUser(user.id)).toEqual(user);

    const groups = await workos.directorySync.listGroups({ user: user.id });
    expect(groups.data.map((g) => g.name)).toEqual(["Admirals"]);
    expect(groups.data[0]!.rawAttributes).toEqual({ displayName: "Admirals" });
    expect(await workos.directorySync.getGroup(groups.data[0]!.id)).toEqual(groups.data[0]);
    const all = await (await workos.directorySync.listUsers({ group: groups.data[0]!.id })).autoPagination();
    expect(all.map((u) => u.id)).toEqual([user.id]);

    await h.settle();
    const events = await workos.events.listEvents({
      events: ["dsync.activated", "dsync.user.created", "dsync.user.updated", "dsync.group.created", "dsync.group.user_added"],
      organizationId: scope.organizationId,
    });
    expect(events.data.map((e) => e.event)).toEqual([
      "dsync.activated",
      "dsync.user.created",
      "dsync.group.created",
      "dsync.group.user_added",
      "dsync.user.updated",
    ]);
    const [activated, created, , added, updated] = events.data as any[];
    expect(activated.data).toMatchObject({ id: scope.directoryId, organizationId: scope.organizationId, state: "linked" });
    expect(created.data).toMatchObject({ idpId: "entra-1", firstName: "Grace", customAttributes: { department: "Computing" }, role: { slug: "admin" } });
    expect(added.data).toMatchObject({ directoryId: scope.directoryId, user: { idpId: "entra-1" }, group: { name: "Admirals" } });
    expect(updated.data).toMatchObject({ lastName: "Brewster Hopper", previousAttributes: { last_name: "Hopper" } });
    expect(events.listMetadata).toMatchObject({ after: null });
  });

  it("pages through many users with autoPagination", async () => {
    const scope = await h.directory();
    await h.deps.reconciler.applySnapshot(scope, { users: Array.from({ length: 130 }, (_, i) => ({ idp_id: `p${i}` })), groups: [], memberships: [] });
    const list = await workos.directorySync.listUsers({ directory: scope.directoryId });
    expect(list.data).toHaveLength(10);
    const all = await list.autoPagination();
    expect(new Set(all.map((u) => u.idpId)).size).toBe(130);
  }, 30_000);

  it("raises the SDK's NotFoundException for an unknown directory", async () => {
    await expect(workos.directorySync.getDirectory("directory_01J00000000000000000000000")).rejects.toBeInstanceOf(NotFoundException);
  });

  it("deletes a directory through the SDK, which then sees dsync.deleted", async () => {
    const scope = await h.directory();
    await workos.directorySync.deleteDirectory(scope.directoryId);
    await h.settle();
    const events = await workos.events.listEvents({ events: ["dsync.deleted"], organizationId: scope.organizationId });
    expect(events.data).toHaveLength(1);
    expect(events.data[0]!.data).toMatchObject({ id: scope.directoryId, state: "deleting", organizationId: scope.organizationId });
  });
});
