// Replays Microsoft Entra ID's provisioning sequence as its SCIM documentation shows it, request by
// request: the connection test, lookups before create, create, multi- and single-valued updates,
// disable, groups (create, rename, member add and remove), and deletes. Payloads follow Entra's shapes
// (capitalised ops, "False" as a string, emails[type eq "work"].value paths, enterprise extension).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDirectoryEventsBySeq } from "../../src/sync/index.js";
import { createHarness, type Harness } from "../harness.js";
import { ENTERPRISE, ERROR, filterQuery, GROUP, LIST, PATCH_OP, scimDirectory, USER, type ScimDirectory } from "./scim-client.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const entraUser = (n: string) => ({
  schemas: [USER, ENTERPRISE],
  externalId: `0a21f0f2-8d2a-4f8e-bf98-7363c4aed4e${n}`,
  userName: `Test_User_${n}@testuser.com`,
  active: true,
  emails: [{ primary: true, type: "work", value: `Test_User_${n}@testuser.com` }],
  meta: { resourceType: "User" },
  name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
  roles: [],
  title: "Engineer",
  [ENTERPRISE]: { department: "R&D", employeeNumber: `E-${n}`, costCenter: "CC-1" },
});

async function eventTypes(dir: ScimDirectory) {
  return (await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId)).map((e) => e.event);
}

describe("Microsoft Entra ID provisioning sequence", () => {
  let dir: ScimDirectory;
  let userId: string;
  let userId2: string;
  let groupId: string;

  beforeAll(async () => {
    dir = await scimDirectory(h, "azure scim v2.0");
  });

  it("passes the connection test: a userName lookup for a random user answers an empty list and links the directory", async () => {
    const res = await dir.call("GET", `/Users${filterQuery('userName eq "non-existent-user-6d9a3b0e"')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(res.body).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
    expect((await h.json("GET", `/directories/${dir.scope.directoryId}`)).state).toBe("linked");
    expect(await eventTypes(dir)).toEqual(["dsync.activated"]);
  });

  it("creates a user after its userName lookup came back empty, returning it as sent plus id and meta", async () => {
    const body = entraUser("1");
    expect((await dir.call("GET", `/Users${filterQuery(`userName eq "${body.userName}"`)}`)).body.totalResults).toBe(0);
    const res = await dir.call("POST", "/Users", body);
    expect(res.status).toBe(201);
    userId = res.body.id;
    expect(userId).toMatch(/^directory_user_/);
    expect(res.headers.get("location")).toBe(`${dir.baseUrl}/Users/${userId}`);
    expect(res.body).toMatchObject({
      schemas: [USER, ENTERPRISE],
      externalId: body.externalId,
      userName: body.userName,
      active: true,
      name: body.name,
      emails: body.emails,
      [ENTERPRISE]: body[ENTERPRISE],
      meta: { resourceType: "User", location: `${dir.baseUrl}/Users/${userId}` },
    });
    expect(res.body.meta.version).toMatch(/^W\/"/);

    const rest = await h.json("GET", `/directory_users/${userId}`);
    expect(rest).toMatchObject({
      idp_id: body.externalId,
      username: body.userName,
      email: body.userName,
      first_name: "givenName",
      last_name: "familyName",
      job_title: "Engineer",
      state: "active",
      custom_attributes: { department: "R&D", employee_number: "E-1", cost_center: "CC-1" },
    });
    expect(rest.raw_attributes.userName).toBe(body.userName);
    expect(await eventTypes(dir)).toEqual(["dsync.activated", "dsync.user.created"]);
  });

  it("gets the user by id and by a userName query in any letter case", async () => {
    const byId = await dir.call("GET", `/Users/${userId}`);
    expect(byId.status).toBe(200);
    expect(byId.body.id).toBe(userId);
    const byQuery = await dir.call("GET", `/Users${filterQuery('userName eq "test_user_1@TESTUSER.com"')}`);
    expect(byQuery.body.totalResults).toBe(1);
    expect(byQuery.body.Resources[0].id).toBe(userId);
  });

  it("updates multi-valued and single-valued attributes with capitalised Replace ops", async () => {
    const multi = await dir.call("PATCH", `/Users/${userId}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: "Replace", path: 'emails[type eq "work"].value', value: "updatedEmail@testuser.com" },
        { op: "Replace", path: "name.familyName", value: "updatedFamilyName" },
      ],
    });
    expect(multi.status).toBe(200);
    expect(multi.body.emails).toEqual([{ primary: true, type: "work", value: "updatedEmail@testuser.com" }]);
    expect(multi.body.name.familyName).toBe("updatedFamilyName");

    const single = await dir.call("PATCH", `/Users/${userId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Replace", path: "userName", value: "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com" }],
    });
    expect(single.status).toBe(200);
    expect(single.body.userName).toBe("5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com");

    const rest = await h.json("GET", `/directory_users/${userId}`);
    expect(rest).toMatchObject({ email: "updatedEmail@testuser.com", last_name: "updatedFamilyName", username: "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com" });
    const events = await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId);
    expect(events.at(-2)).toMatchObject({ event: "dsync.user.updated", data: { previous_attributes: { email: "Test_User_1@testuser.com", last_name: "familyName" } } });
  });

  it("adds an enterprise manager sent as a bare id and a work phone via a filter that matches nothing yet", async () => {
    const res = await dir.call("PATCH", `/Users/${userId}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: "Add", path: `${ENTERPRISE}:manager`, value: "26118915-6090-4610-87e4-49d8ca9f808d" },
        { op: "Add", path: 'phoneNumbers[type eq "work"].value', value: "+1 555 0100" },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.phoneNumbers).toEqual([{ type: "work", value: "+1 555 0100" }]);
    expect((await h.json("GET", `/directory_users/${userId}`)).custom_attributes.manager_id).toBe("26118915-6090-4610-87e4-49d8ca9f808d");
  });

  it('disables the user with active "False" as a string: kept, state inactive, dsync.user.updated', async () => {
    const res = await dir.call("PATCH", `/Users/${userId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Replace", path: "active", value: "False" }],
    });
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
    expect((await h.json("GET", `/directory_users/${userId}`)).state).toBe("inactive");
    const last = (await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId)).at(-1)!;
    expect(last).toMatchObject({ event: "dsync.user.updated", data: { state: "inactive", previous_attributes: { state: "active" } } });
    const found = await dir.call("GET", `/Users${filterQuery("active eq false")}`);
    expect(found.body.Resources.map((r: { id: string }) => r.id)).toEqual([userId]);
  });

  it("re-enables with a path-less Replace carrying active True as a string", async () => {
    const res = await dir.call("PATCH", `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: "Replace", value: { active: "True" } }] });
    expect(res.body.active).toBe(true);
    expect((await h.json("GET", `/directory_users/${userId}`)).state).toBe("active");
  });

  it("creates a group after an empty displayName lookup that excludes members", async () => {
    const lookup = await dir.call("GET", `/Groups${filterQuery('displayName eq "Engineering"', "&excludedAttributes=members")}`);
    expect(lookup.body.totalResults).toBe(0);
    const res = await dir.call("POST", "/Groups", {
      schemas: [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
      externalId: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
      displayName: "Engineering",
      meta: { resourceType: "Group" },
    });
    expect(res.status).toBe(201);
    groupId = res.body.id;
    expect(res.body).toMatchObject({ displayName: "Engineering", externalId: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", members: [], meta: { resourceType: "Group" } });
    const again = await dir.call("GET", `/Groups${filterQuery('displayName eq "engineering"', "&excludedAttributes=members")}`);
    expect(again.body.Resources).toHaveLength(1);
    expect(again.body.Resources[0]).not.toHaveProperty("members");
    expect((await h.json("GET", `/directory_groups/${groupId}`)).name).toBe("Engineering");
  });

  it("renames the group and adds then removes members, answering 204", async () => {
    userId2 = (await dir.call("POST", "/Users", entraUser("2"))).body.id;
    const rename = await dir.call("PATCH", `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Replace", path: "displayName", value: "Engineering (all)" }],
    });
    expect(rename.status).toBe(204);
    const add = await dir.call("PATCH", `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Add", path: "members", value: [{ $ref: null, value: userId }, { $ref: null, value: userId2 }] }],
    });
    expect(add.status).toBe(204);
    const group = await dir.call("GET", `/Groups/${groupId}`);
    expect(group.body.displayName).toBe("Engineering (all)");
    expect(group.body.members.map((m: { value: string }) => m.value).sort()).toEqual([userId, userId2].sort());
    const remove = await dir.call("PATCH", `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Remove", path: "members", value: [{ $ref: null, value: userId2 }] }],
    });
    expect(remove.status).toBe(204);
    const members = await h.json("GET", `/directory_users?group=${groupId}`);
    expect(members.data.map((u: { id: string }) => u.id)).toEqual([userId]);
    const types = await eventTypes(dir);
    expect(types.filter((t) => t === "dsync.group.user_added")).toHaveLength(2);
    expect(types.filter((t) => t === "dsync.group.user_removed")).toHaveLength(1);
    expect(types).toContain("dsync.group.updated");
    const member = await dir.call("GET", `/Groups${filterQuery(`members[value eq "${userId}"]`)}`);
    expect(member.body.Resources.map((g: { id: string }) => g.id)).toEqual([groupId]);
  });

  it("stores a manager referenced by its SCIM id as the manager's idp_id, keeping the reference in raw_attributes", async () => {
    const res = await dir.call("PATCH", `/Users/${userId2}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: "Add", path: `${ENTERPRISE}:manager`, value: userId }],
    });
    expect(res.status).toBe(200);
    const rest = await h.json("GET", `/directory_users/${userId2}`);
    expect(rest.custom_attributes.manager_id).toBe(entraUser("1").externalId);
    expect(rest.raw_attributes[ENTERPRISE].manager).toBe(userId);
  });

  it("deletes the group and the user: 204, then 404, with delete events", async () => {
    expect((await dir.call("DELETE", `/Groups/${groupId}`)).status).toBe(204);
    expect((await dir.call("GET", `/Groups/${groupId}`)).status).toBe(404);
    expect((await dir.call("DELETE", `/Users/${userId}`)).status).toBe(204);
    const gone = await dir.call("GET", `/Users/${userId}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ schemas: [ERROR], status: "404" });
    expect((await h.request("GET", `/directory_users/${userId}`)).status).toBe(404);
    const types = await eventTypes(dir);
    expect(types.slice(-2)).toEqual(["dsync.group.deleted", "dsync.user.deleted"]);
  });
});
