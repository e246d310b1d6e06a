// Replays Okta's SCIM 2.0 provisioning sequence as its reference describes it, request by request:
// the import checks, a userName lookup with startIndex / count before create, create (password sent
// and discarded), PUT replacement, deactivation with a path-less active=false, reactivation, group
// push (POST with members, lookup, rename, PUT with members, add and remove), and group delete.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDirectoryEventsBySeq } from "../../src/sync/index.js";
import { createHarness, type Harness } from "../harness.js";
import { ENTERPRISE, filterQuery, GROUP, PATCH_OP, scimDirectory, USER, type ScimDirectory } from "./scim-client.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const oktaUser = (login: string, externalId: string) => ({
  schemas: [USER, ENTERPRISE],
  userName: login,
  name: { givenName: "Test", familyName: "User" },
  emails: [{ primary: true, value: login, type: "work" }],
  displayName: "Test User",
  locale: "en-US",
  externalId,
  groups: [],
  password: "1mz050nq",
  active: true,
  [ENTERPRISE]: { department: "Sales", manager: { value: "00u1manager", displayName: "Boss" } },
});

describe("Okta provisioning sequence", () => {
  let dir: ScimDirectory;
  let userId: string;
  let otherId: string;
  let groupId: string;

  beforeAll(async () => {
    dir = await scimDirectory(h, "okta scim v2.0");
  });

  it("answers the import checks Okta makes when provisioning is enabled", async () => {
    const users = await dir.call("GET", "/Users?startIndex=1&count=2");
    expect(users.status).toBe(200);
    expect(users.body).toMatchObject({ totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
    const groups = await dir.call("GET", "/Groups?startIndex=1&count=100");
    expect(groups.body.totalResults).toBe(0);
  });

  it("looks the user up by userName, creates it, and never stores the password", async () => {
    const lookup = await dir.call("GET", `/Users${filterQuery('userName eq "test.user@okta.local"', "&startIndex=1&count=100")}`);
    expect(lookup.body.totalResults).toBe(0);
    const res = await dir.call("POST", "/Users", oktaUser("test.user@okta.local", "00ujl29u0le5T6Aj10h7"));
    expect(res.status).toBe(201);
    userId = res.body.id;
    expect(res.body).toMatchObject({ userName: "test.user@okta.local", displayName: "Test User", locale: "en-US", active: true });
    expect(res.body).not.toHaveProperty("password");
    const rest = await h.json("GET", `/directory_users/${userId}`);
    expect(rest.raw_attributes).not.toHaveProperty("password");
    expect(JSON.stringify(rest)).not.toContain("1mz050nq");
    expect(rest).toMatchObject({ idp_id: "00ujl29u0le5T6Aj10h7", name: "Test User", custom_attributes: { department: "Sales", manager_id: "00u1manager" } });
    const found = await dir.call("GET", `/Users${filterQuery('userName eq "test.user@okta.local"', "&startIndex=1&count=100")}`);
    expect(found.body.Resources.map((r: { id: string }) => r.id)).toEqual([userId]);
  });

  it("finds the user by externalId, id and emails.value too", async () => {
    for (const filter of ['externalId eq "00ujl29u0le5T6Aj10h7"', `id eq "${userId}"`, 'emails.value eq "TEST.USER@okta.local"', 'emails[type eq "work" and value eq "test.user@okta.local"]']) {
      const res = await dir.call("GET", `/Users${filterQuery(filter)}`);
      expect(res.body.Resources.map((r: { id: string }) => r.id), filter).toEqual([userId]);
    }
  });

  it("replaces the user with PUT (Okta sends id, groups and meta back) and keeps idp_id", async () => {
    const current = (await dir.call("GET", `/Users/${userId}`)).body;
    const res = await dir.call("PUT", `/Users/${userId}`, {
      ...current,
      name: { givenName: "Another", familyName: "User" },
      emails: [{ primary: true, value: "test.user@okta.local", type: "work" }],
      password: "secret-again",
    });
    expect(res.status).toBe(200);
    expect(res.body.name).toEqual({ givenName: "Another", familyName: "User" });
    const rest = await h.json("GET", `/directory_users/${userId}`);
    expect(rest).toMatchObject({ first_name: "Another", idp_id: "00ujl29u0le5T6Aj10h7" });
    expect(rest.raw_attributes).not.toHaveProperty("meta");
    expect(rest.raw_attributes).not.toHaveProperty("password");
    const last = (await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId)).at(-1)!;
    expect(last).toMatchObject({ event: "dsync.user.updated", data: { previous_attributes: { first_name: "Test" } } });
  });

  it("deactivates with a path-less replace of active=false, then reactivates", async () => {
    const off = await dir.call("PATCH", `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect((await h.json("GET", `/directory_users/${userId}`)).state).toBe("inactive");
    const on = await dir.call("PATCH", `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: true } }] });
    expect(on.body.active).toBe(true);
    const events = await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId);
    expect(events.slice(-2).map((e) => [e.event, e.data.state])).toEqual([
      ["dsync.user.updated", "inactive"],
      ["dsync.user.updated", "active"],
    ]);
  });

  it("deactivates through PUT with active false as Okta's older integrations do", async () => {
    const current = (await dir.call("GET", `/Users/${userId}`)).body;
    const res = await dir.call("PUT", `/Users/${userId}`, { ...current, active: false });
    expect(res.body.active).toBe(false);
    expect((await h.json("GET", `/directory_users/${userId}`)).state).toBe("inactive");
    await dir.call("PUT", `/Users/${userId}`, { ...current, active: true });
  });

  it("pushes a group with its members in the POST and applies them", async () => {
    otherId = (await dir.call("POST", "/Users", oktaUser("other.user@okta.local", "00uother"))).body.id;
    expect((await dir.call("GET", `/Groups${filterQuery('displayName eq "Test SCIMv2"', "&startIndex=1&count=100")}`)).body.totalResults).toBe(0);
    const res = await dir.call("POST", "/Groups", {
      schemas: [GROUP],
      displayName: "Test SCIMv2",
      members: [{ value: userId, display: "test.user@okta.local" }],
    });
    expect(res.status).toBe(201);
    groupId = res.body.id;
    expect(res.body.members).toEqual([{ value: userId, display: "Test User", $ref: `${dir.baseUrl}/Users/${userId}` }]);
    const users = await h.json("GET", `/directory_users?group=${groupId}`);
    expect(users.data.map((u: { id: string }) => u.id)).toEqual([userId]);
    const user = await dir.call("GET", `/Users/${userId}`);
    expect(user.body.groups).toEqual([{ value: groupId, display: "Test SCIMv2", $ref: `${dir.baseUrl}/Groups/${groupId}` }]);
  });

  it("renames with a path-less replace that repeats the id", async () => {
    const res = await dir.call("PATCH", `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "replace", value: { id: groupId, displayName: "Test SCIMv2 renamed" } }],
    });
    expect(res.status).toBe(204);
    const group = await dir.call("GET", `/Groups/${groupId}`);
    expect(group.body).toMatchObject({ id: groupId, displayName: "Test SCIMv2 renamed" });
    expect((await h.json("GET", `/directory_groups/${groupId}`)).name).toBe("Test SCIMv2 renamed");
  });

  it("replaces the member list with PUT, emitting only the differences", async () => {
    const before = (await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId)).length;
    const res = await dir.call("PUT", `/Groups/${groupId}`, {
      schemas: [GROUP],
      id: groupId,
      displayName: "Test SCIMv2 renamed",
      members: [{ value: otherId, display: "other.user@okta.local" }],
    });
    expect(res.status).toBe(200);
    expect(res.body.members.map((m: { value: string }) => m.value)).toEqual([otherId]);
    const events = (await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId)).slice(before);
    expect(events.map((e) => e.event).sort()).toEqual(["dsync.group.user_added", "dsync.group.user_removed"]);
  });

  it("adds and removes members with Okta's PATCH shapes", async () => {
    const add = await dir.call("PATCH", `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "add", path: "members", value: [{ value: userId, display: "test.user@okta.local" }] }],
    });
    expect(add.status).toBe(204);
    const remove = await dir.call("PATCH", `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "remove", path: `members[value eq "${otherId}"]` }],
    });
    expect(remove.status).toBe(204);
    const replace = await dir.call("PATCH", `/Groups/${groupId}?excludedAttributes=members`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "replace", value: { members: [{ value: otherId }] } }],
    });
    expect(replace.status).toBe(200);
    expect(replace.body).not.toHaveProperty("members");
    const users = await h.json("GET", `/directory_users?group=${groupId}`);
    expect(users.data.map((u: { id: string }) => u.id)).toEqual([otherId]);
  });

  it("keeps a custom extension schema as sent, returns it, and patches it by URN path", async () => {
    const CUSTOM = "urn:okta:acme:1.0:user:custom";
    const res = await dir.call("POST", "/Users", {
      ...oktaUser("custom.user@okta.local", "00ucustom"),
      schemas: [USER, ENTERPRISE, CUSTOM],
      [CUSTOM]: { badge: "B-7", floors: [3, 4] },
    });
    expect(res.status).toBe(201);
    expect(res.body[CUSTOM]).toEqual({ badge: "B-7", floors: [3, 4] });
    expect(res.body.schemas).toEqual([USER, ENTERPRISE, CUSTOM]);
    const patched = await dir.call("PATCH", `/Users/${res.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: `${CUSTOM}:badge`, value: "B-8" }] });
    expect(patched.body[CUSTOM]).toEqual({ badge: "B-8", floors: [3, 4] });
    expect((await h.json("GET", `/directory_users/${res.body.id}`)).raw_attributes[CUSTOM]).toEqual({ badge: "B-8", floors: [3, 4] });
    const found = await dir.call("GET", `/Users${filterQuery(`${CUSTOM}:badge eq "B-8"`)}`);
    expect(found.body.Resources.map((r: { id: string }) => r.id)).toEqual([res.body.id]);
  });

  it("deletes the group; the users stay", async () => {
    expect((await dir.call("DELETE", `/Groups/${groupId}`)).status).toBe(204);
    expect((await dir.call("GET", `/Groups/${groupId}`)).status).toBe(404);
    expect((await dir.call("GET", `/Users/${otherId}`)).status).toBe(200);
    const events = await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId);
    expect(events.at(-1)).toMatchObject({ event: "dsync.group.deleted", data: { id: groupId } });
  });
});
