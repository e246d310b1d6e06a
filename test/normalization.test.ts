// Per-directory normalization through the REST API, end to end over SCIM: attribute-mapping edits that
// re-normalize stored users with exactly the right events, role mapping recomputed as memberships
// change, and the data-quality report.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDirectoryEventsBySeq } from "../src/sync/index.js";
import { createHarness, type Harness } from "./harness.js";
import { ENTERPRISE, GROUP, PATCH_OP, scimDirectory, USER, type ScimDirectory } from "./scim/scim-client.js";

const CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** The directory's events after the first `skip`, as type + data. */
async function eventsAfter(dir: ScimDirectory, skip: number) {
  return (await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId)).slice(skip).map((e) => ({ event: e.event, data: e.data as any }));
}
const eventCount = async (dir: ScimDirectory) => (await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId)).length;

async function createUser(dir: ScimDirectory, body: Record<string, unknown>): Promise<string> {
  const res = await dir.call("POST", "/Users", { schemas: [USER, ENTERPRISE], active: true, ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

const restUser = (id: string | undefined) => h.json("GET", `/directory_users/${id}`);

describe("attribute mapping", () => {
  let dir: ScimDirectory;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    dir = await scimDirectory(h, "okta scim v2.0");
    ids.alice = await createUser(dir, {
      userName: "alice@acme.test",
      name: { givenName: "Alice", familyName: "Liddell" },
      emails: [{ value: "alice@acme.test", type: "work", primary: true }, { value: "Alice@Home.TEST", type: "home" }],
      [CUSTOM]: { badgeId: "B-1" },
    });
    ids.bob = await createUser(dir, { userName: "bob@acme.test", emails: [{ value: "bob@acme.test", type: "work", primary: true }], [ENTERPRISE]: { department: "Sales" } });
    ids.carol = await createUser(dir, { userName: "carol@acme.test", emails: [{ value: "carol@acme.test", type: "work", primary: true }] });
  });

  it("shows the type's preset, no overrides, and the effective mapping", async () => {
    const view = await h.json("GET", `/directories/${dir.scope.directoryId}/attribute_mapping`);
    expect(view).toMatchObject({ object: "attribute_mapping", directory_id: dir.scope.directoryId, directory_type: "okta scim v2.0", preset_label: "Okta (SCIM)", overrides: {} });
    expect(view.effective).toEqual(view.preset);
    expect(view.preset.fields.username).toEqual({ sources: [{ path: "userName" }], required: true });
  });

  it("rejects an invalid mapping, naming each bad field, and changes nothing", async () => {
    const before = await eventCount(dir);
    const res = await h.request("PUT", `/directories/${dir.scope.directoryId}/attribute_mapping`, {
      fields: { email: { sources: [{ path: 'emails[type eq "home"' }] } },
      custom_attributes: { "Badge Id": { sources: [{ path: "x" }] }, tags: { sources: [{ path: "x", transforms: [{ type: "reverse" }] }] } },
    });
    expect(res.status).toBe(400);
    const body: any = await res.json();
    expect(body.code).toBe("invalid_input");
    expect(body.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(["fields.email.sources.0.path", "custom_attributes.Badge Id", "custom_attributes.tags.sources.0.transforms.0.type"]),
    );
    expect(await eventCount(dir)).toBe(before);
    expect((await h.request("PUT", `/directories/directory_01NOSUCHDIRECTORY0000000000/attribute_mapping`, {})).status).toBe(404);
  });

  it("re-normalizes stored users without a resync, emitting dsync.user.updated only where canonical values changed", async () => {
    const before = await eventCount(dir);
    const override = {
      fields: { email: { sources: [{ path: 'emails[type eq "home"].value', transforms: [{ type: "lowercase" }] }, { path: "emails[primary eq true].value" }] } },
      custom_attributes: { badge: { sources: [{ path: `${CUSTOM}:badgeId` }] }, department: null },
    };
    const res = await h.json("PUT", `/directories/${dir.scope.directoryId}/attribute_mapping`, override);
    expect(res.renormalized).toEqual({ users: 3, updated: 2 });
    expect(res.overrides).toEqual(override);
    expect(res.effective.custom_attributes.badge).toEqual(override.custom_attributes.badge);
    expect(res.effective.custom_attributes).not.toHaveProperty("department");

    const events = await eventsAfter(dir, before);
    expect(events.map((e) => [e.event, e.data.id])).toEqual([
      ["dsync.user.updated", ids.alice],
      ["dsync.user.updated", ids.bob],
    ]);
    expect(events[0]!.data).toMatchObject({ email: "alice@home.test", custom_attributes: { badge: "B-1" } });
    expect(events[0]!.data.previous_attributes).toEqual({ email: "alice@acme.test", custom_attributes: { badge: null } });
    expect(events[1]!.data.previous_attributes).toEqual({ custom_attributes: { department: "Sales" } });
    // raw_attributes are what the IdP sent, untouched.
    expect((await restUser(ids.alice)).raw_attributes.emails).toHaveLength(2);
    expect(await restUser(ids.carol)).toMatchObject({ email: "carol@acme.test", custom_attributes: {} });
  });

  it("applies the directory's mapping to SCIM writes that follow", async () => {
    const dave = (ids.dave = await createUser(dir, { userName: "dave@acme.test", emails: [{ value: "dave@acme.test", type: "work", primary: true }, { value: "DAVE@home.test", type: "home" }], [CUSTOM]: { badgeId: "B-4" } }));
    expect(await restUser(dave)).toMatchObject({ email: "dave@home.test", custom_attributes: { badge: "B-4" } });
    const patched = await dir.call("PATCH", `/Users/${ids.bob}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: `${CUSTOM}:badgeId`, value: "B-2" }] });
    expect(patched.status).toBe(200);
    expect((await restUser(ids.bob)).custom_attributes).toEqual({ badge: "B-2" });
  });

  it("emits nothing when the same mapping is stored again", async () => {
    const before = await eventCount(dir);
    const view = await h.json("GET", `/directories/${dir.scope.directoryId}/attribute_mapping`);
    const res = await h.json("PUT", `/directories/${dir.scope.directoryId}/attribute_mapping`, view.overrides);
    expect(res.renormalized).toEqual({ users: 4, updated: 0 });
    expect(await eventCount(dir)).toBe(before);
  });

  it("previews a proposed mapping on stored users without writing anything", async () => {
    const before = await eventCount(dir);
    const preview = await h.json("POST", `/directories/${dir.scope.directoryId}/attribute_mapping/preview?limit=10`, {
      fields: { first_name: { sources: [{ path: "userName", transforms: [{ type: "split", separator: "@", index: 0 }] }] } },
    });
    expect(preview).toMatchObject({ object: "attribute_mapping_preview", examined: 4, would_change: 4 });
    expect(preview.data[0]).toMatchObject({ user_id: ids.alice, changes: { first_name: { from: "Alice", to: "alice" } } });
    // Back to the preset for this proposal: the stored overrides are not part of it.
    expect(preview.data[0].changes.email).toEqual({ from: "alice@home.test", to: "alice@acme.test" });
    expect(await eventCount(dir)).toBe(before);
  });

  it("resets to the preset with an empty mapping, reverting exactly what the overrides changed", async () => {
    const before = await eventCount(dir);
    const res = await h.json("PUT", `/directories/${dir.scope.directoryId}/attribute_mapping`, {});
    // carol had nothing the overrides changed.
    expect(res.renormalized).toEqual({ users: 4, updated: 3 });
    const events = await eventsAfter(dir, before);
    expect(events.map((e) => [e.event, e.data.id])).toEqual([ids.alice, ids.bob, ids.dave].sort().map((id) => ["dsync.user.updated", id]));
    expect(await restUser(ids.alice)).toMatchObject({ email: "alice@acme.test", custom_attributes: {} });
    expect((await restUser(ids.bob)).custom_attributes).toEqual({ department: "Sales" });
  });
});

describe("re-normalization of Entra SCIM users", () => {
  it("keeps manager references as the manager's idp_id (Entra sends our SCIM id) and emits nothing else", async () => {
    const dir = await scimDirectory(h, "azure scim v2.0");
    const manager = await createUser(dir, { userName: "boss@contoso.test", externalId: "boss-ext" });
    const report = await createUser(dir, { userName: "rep@contoso.test", externalId: "rep-ext", [ENTERPRISE]: { manager: manager } });
    expect((await restUser(report)).custom_attributes.manager_id).toBe("boss-ext");
    const before = await eventCount(dir);
    const res = await h.json("PUT", `/directories/${dir.scope.directoryId}/attribute_mapping`, { custom_attributes: { nick: { sources: [{ path: "nickName" }] } } });
    expect(res.renormalized).toEqual({ users: 2, updated: 0 });
    expect(await eventCount(dir)).toBe(before);
    expect((await restUser(report)).custom_attributes.manager_id).toBe("boss-ext");
  });
});

describe("role mapping", () => {
  let dir: ScimDirectory;
  const u: Record<string, string> = {};
  let admins: string;
  let engineers: string;

  const role = async (id: string) => (await restUser(id)).role;

  beforeAll(async () => {
    dir = await scimDirectory(h, "azure scim v2.0");
    for (const name of ["ann", "ben", "cat"]) u[name] = await createUser(dir, { userName: `${name}@acme.test`, externalId: name });
    admins = (await dir.call("POST", "/Groups", { schemas: [GROUP], displayName: "Admins", members: [{ value: u.ann }] })).body.id;
    engineers = (await dir.call("POST", "/Groups", { schemas: [GROUP], displayName: "Engineers", members: [{ value: u.ann }, { value: u.ben }] })).body.id;
  });

  it("has no role mapping and no roles to begin with", async () => {
    expect(await h.json("GET", `/directories/${dir.scope.directoryId}/role_mapping`)).toMatchObject({ object: "role_mapping", default_role: null, rules: [] });
    expect(await role(u.ann!)).toBeNull();
  });

  it("rejects rules naming a group of no this directory", async () => {
    const res = await h.request("PUT", `/directories/${dir.scope.directoryId}/role_mapping`, {
      default_role: "member",
      rules: [{ group_id: "directory_group_01NOSUCHGROUP000000000000000", role_slug: "admin", priority: 1 }],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).errors[0]).toMatchObject({ field: "rules.0.group_id", code: "not_found" });
  });

  it("assigns roles by the best-ranked group, else the default, emitting one update per changed user", async () => {
    const before = await eventCount(dir);
    const res = await h.json("PUT", `/directories/${dir.scope.directoryId}/role_mapping`, {
      default_role: "member",
      rules: [
        { group_id: engineers, role_slug: "developer", priority: 20 },
        { group_id: admins, role_slug: "admin", priority: 10 },
      ],
    });
    expect(res.recomputed).toEqual({ users: 3, updated: 3 });
    expect(res.rules).toEqual([
      { group_id: engineers, group_name: "Engineers", role_slug: "developer", priority: 20 },
      { group_id: admins, group_name: "Admins", role_slug: "admin", priority: 10 },
    ]);
    expect([await role(u.ann!), await role(u.ben!), await role(u.cat!)]).toEqual([{ slug: "admin" }, { slug: "developer" }, { slug: "member" }]);
    const events = await eventsAfter(dir, before);
    expect(events.map((e) => [e.event, e.data.id, e.data.role, e.data.previous_attributes])).toEqual(
      [
        ["dsync.user.updated", u.ann, { slug: "admin" }, { role: null }],
        ["dsync.user.updated", u.ben, { slug: "developer" }, { role: null }],
        ["dsync.user.updated", u.cat, { slug: "member" }, { role: null }],
      ].sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    );
  });

  it("recomputes a role when a membership is added, after the membership event", async () => {
    const before = await eventCount(dir);
    const res = await dir.call("PATCH", `/Groups/${engineers}`, { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: u.cat }] }] });
    expect(res.status).toBe(204);
    const events = await eventsAfter(dir, before);
    expect(events.map((e) => e.event)).toEqual(["dsync.group.user_added", "dsync.user.updated"]);
    expect(events[1]!.data).toMatchObject({ id: u.cat, role: { slug: "developer" }, previous_attributes: { role: { slug: "member" } } });
    expect(events[1]!.data.groups.map((g: { name: string }) => g.name)).toEqual(["Engineers"]);
  });

  it("recomputes when a membership is removed, and emits nothing for a member whose role stays", async () => {
    const before = await eventCount(dir);
    await dir.call("PATCH", `/Groups/${admins}`, { schemas: [PATCH_OP], Operations: [{ op: "remove", path: `members[value eq "${u.ann}"]` }] });
    // A group no rule names: ben's membership changes, his role does not.
    const staff = await dir.call("POST", "/Groups", { schemas: [GROUP], displayName: "Staff", members: [{ value: u.ben }] });
    expect(staff.status).toBe(201);
    const events = await eventsAfter(dir, before);
    expect(events.map((e) => e.event)).toEqual(["dsync.group.user_removed", "dsync.user.updated", "dsync.group.created", "dsync.group.user_added"]);
    expect(events[1]!.data).toMatchObject({ id: u.ann, role: { slug: "developer" }, previous_attributes: { role: { slug: "admin" } } });
    expect(await role(u.ben!)).toEqual({ slug: "developer" });
  });

  it("gives a new user the default role in its created event, and keeps roles across attribute updates", async () => {
    const before = await eventCount(dir);
    const dan = await createUser(dir, { userName: "dan@acme.test", externalId: "dan" });
    const [created] = await eventsAfter(dir, before);
    expect(created).toMatchObject({ event: "dsync.user.created", data: { id: dan, role: { slug: "member" } } });
    const put = await dir.call("PUT", `/Users/${u.ann}`, { schemas: [USER], userName: "ann@acme.test", externalId: "ann", title: "CTO", active: true });
    expect(put.status).toBe(200);
    expect(await restUser(u.ann!)).toMatchObject({ job_title: "CTO", role: { slug: "developer" } });
  });

  it("recomputes the members' roles when their group is deleted", async () => {
    const before = await eventCount(dir);
    expect((await dir.call("DELETE", `/Groups/${engineers}`)).status).toBe(204);
    const events = await eventsAfter(dir, before);
    expect(events[0]!.event).toBe("dsync.group.deleted");
    expect(events.slice(1).map((e) => [e.event, e.data.id, e.data.role])).toEqual(
      [u.ann, u.ben, u.cat].sort().map((id) => ["dsync.user.updated", id, { slug: "member" }]),
    );
  });

  it("clears roles when the mapping is removed", async () => {
    const res = await h.json("PUT", `/directories/${dir.scope.directoryId}/role_mapping`, { default_role: null, rules: [] });
    expect(res.recomputed).toEqual({ users: 4, updated: 4 });
    expect(await role(u.ann!)).toBeNull();
  });
});

describe("data-quality report", () => {
  let dir: ScimDirectory;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    dir = await scimDirectory(h, "generic scim v2.0");
    ids.ok = await createUser(dir, { userName: "ok@acme.test", emails: [{ value: "ok@acme.test", primary: true }], [ENTERPRISE]: { employeeNumber: "1" } });
    ids.nomail = await createUser(dir, { userName: "nomail", [ENTERPRISE]: { employeeNumber: "2" } });
    ids.bad = await createUser(dir, { userName: "bad", emails: [{ value: "not-an-address", type: "work" }], [ENTERPRISE]: { employeeNumber: "3" } });
    ids.twin1 = await createUser(dir, { userName: "twin1", emails: [{ value: "twin@acme.test" }], [ENTERPRISE]: { employeeNumber: "4" } });
    ids.twin2 = await createUser(dir, { userName: "twin2", emails: [{ value: "TWIN@acme.test" }] });
  });

  it("keeps every record and lists each problem with its reason and the raw value", async () => {
    const users = await h.json("GET", `/directory_users?directory=${dir.scope.directoryId}&limit=100`);
    expect(users.data).toHaveLength(5);
    const report = await h.json("GET", `/directories/${dir.scope.directoryId}/data_quality`);
    expect(report.summary).toEqual({
      users: 5,
      issues: 4,
      by_reason: { missing_email: 1, invalid_email: 1, duplicate_email: 2, duplicate_username: 0, missing_required_field: 0 },
    });
    expect(report.data.map((i: any) => [i.reason, i.user_id])).toEqual([
      ["missing_email", ids.nomail],
      ["invalid_email", ids.bad],
      ...[ids.twin1, ids.twin2].sort().map((id) => ["duplicate_email", id]),
    ]);
    const [missing, invalid, twin] = report.data;
    expect(missing).toMatchObject({ object: "data_quality_issue", idp_id: expect.any(String), field: "email", value: null, raw_value: "nomail" });
    expect(missing.detail).toContain("emails[primary eq true].value");
    expect(invalid).toMatchObject({ field: "email", value: "not-an-address", raw_value: ["not-an-address", "bad"] });
    expect(twin.detail).toMatch(/^2 users/);
  });

  it("lists required fields that cannot be mapped once the directory marks them required", async () => {
    await h.json("PUT", `/directories/${dir.scope.directoryId}/attribute_mapping`, {
      custom_attributes: { employee_number: { sources: [{ path: `${ENTERPRISE}:employeeNumber` }], required: true } },
    });
    const report = await h.json("GET", `/directories/${dir.scope.directoryId}/data_quality?reason=missing_required_field`);
    expect(report.summary.by_reason.missing_required_field).toBe(1);
    expect(report.data).toEqual([
      expect.objectContaining({ reason: "missing_required_field", user_id: ids.twin2, field: "custom_attributes.employee_number", value: null, raw_value: null }),
    ]);
  });

  it("finds duplicate usernames written by a pull source, and pages through the issues", async () => {
    const scope = await h.directory("generic scim v2.0");
    await h.deps.reconciler.applySnapshot(scope, {
      users: [
        { idp_id: "a", username: "Sam", email: "sam@acme.test" },
        { idp_id: "b", username: "sam", email: "sam2@acme.test" },
        { idp_id: "c", username: "lee", email: "lee@acme" },
      ],
      groups: [],
      memberships: [],
    });
    const first = await h.json("GET", `/directories/${scope.directoryId}/data_quality?limit=2`);
    expect(first.summary.by_reason).toMatchObject({ invalid_email: 1, duplicate_username: 2 });
    expect(first.data.map((i: any) => i.reason)).toEqual(["invalid_email", "duplicate_username"]);
    const second = await h.json("GET", `/directories/${scope.directoryId}/data_quality?limit=2&after=${first.list_metadata.after}`);
    expect(second.data.map((i: any) => i.reason)).toEqual(["duplicate_username"]);
    expect(second.list_metadata.after).toBeNull();
    expect(new Set([...first.data, ...second.data].filter((i: any) => i.reason === "duplicate_username").map((i: any) => i.value))).toEqual(new Set(["Sam", "sam"]));
    expect((await h.request("GET", `/directories/${scope.directoryId}/data_quality?after=nonsense`)).status).toBe(400);
  });
});
