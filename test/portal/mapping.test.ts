// The portal's attribute-mapping and role-mapping editors: a preview of a few users changes nothing,
// saving re-maps stored users through the same functions the REST API uses, and both are audited.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../harness.js";
import { signIn, type PortalClient } from "./session.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/** An organization with a generic SCIM directory whose users arrived over SCIM (so raw_attributes are real). */
async function scimDirectory(name: string): Promise<{ portal: PortalClient; id: string; org: string; scim: (path: string, body: unknown) => Promise<any> }> {
  const org = await h.json("POST", "/organizations", { name });
  const dir = await h.json("POST", "/directories", { organization_id: org.id, type: "generic scim v2.0", name: `${name} HR` });
  const base = new URL(dir.scim.base_url).pathname;
  const scim = async (path: string, body: unknown) => {
    const res = await h.request("POST", `${base}${path}`, body, { auth: dir.scim.token, headers: { "content-type": "application/scim+json" } });
    expect(res.status).toBe(201);
    return res.json();
  };
  const people = [
    ["Ada", "Lovelace", "London"],
    ["Grace", "Hopper", "Arlington"],
    ["Katherine", "Johnson", "Hampton"],
  ];
  for (const [given, family, city] of people) {
    await scim("/Users", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
      userName: `${given!.toLowerCase()}@${name.toLowerCase().replace(/\W/g, "")}.test`,
      name: { givenName: given, familyName: family },
      title: "Engineer",
      addresses: [{ type: "work", locality: city, primary: true }],
      [ENTERPRISE]: { department: "Research" },
    });
  }
  return { portal: await signIn(h, org.id), id: dir.id, org: org.id, scim };
}

const usersOf = async (id: string) => (await h.json("GET", `/directory_users?directory=${id}&limit=100&order=asc`)).data;

describe("attribute mapping editor", () => {
  it("previews a new mapping on a few users, then saves and re-maps the stored users", async () => {
    const { portal, id, org } = await scimDirectory("Analytical Engines");
    const page = await (await portal.get(`/portal/directories/${id}/mapping`)).text();
    expect(page).toContain("Attribute mapping");
    expect(page).toMatch(/name="field.job_title" type="text" value="title"/);
    expect(page).toContain(`${ENTERPRISE}:department`);

    // Preview: job title from the department, and a new "office" attribute from the work address.
    const form = { "field.job_title": `${ENTERPRISE}:department`, new_custom_name: "office", new_custom_paths: 'addresses[type eq "work"].locality' };
    const preview = await portal.post(`/portal/directories/${id}/mapping`, { ...form, action: "preview" });
    expect(preview.status).toBe(200);
    const previewPage = await preview.text();
    expect(previewPage).toContain("Of the first 3 users, 3 would change.");
    expect(previewPage).toContain("Ada Lovelace");
    expect(previewPage).toMatch(/<code>job_title<\/code><\/td><td>Engineer<\/td><td>Research<\/td>/);
    expect(previewPage).toMatch(/<code>custom_attributes.office<\/code><\/td><td>—<\/td><td>London<\/td>/);
    // Nothing was written by the preview.
    expect((await usersOf(id)).map((u: any) => u.job_title)).toEqual(["Engineer", "Engineer", "Engineer"]);

    const saved = await portal.post(`/portal/directories/${id}/mapping`, { ...form, action: "save" });
    expect(saved.status).toBe(303);
    const after = await (await portal.get(saved.headers.get("location")!)).text();
    expect(after).toContain("Saved. 3 users were mapped again; 3 changed.");
    expect(after).toMatch(/name="custom.office" type="text" value="addresses\[type eq &quot;work&quot;\]\.locality"/);
    const users = await usersOf(id);
    expect(users.map((u: any) => [u.job_title, u.custom_attributes.office])).toEqual([
      ["Research", "London"],
      ["Research", "Arlington"],
      ["Research", "Hampton"],
    ]);
    const mapping = await h.json("GET", `/directories/${id}/attribute_mapping`);
    expect(mapping.overrides).toMatchObject({ fields: { job_title: { sources: [{ path: `${ENTERPRISE}:department` }] } }, custom_attributes: { office: { sources: [{ path: 'addresses[type eq "work"].locality' }] } } });
    const audit = (await h.json("GET", `/audit_events?organization_id=${org}&limit=100`)).data.map((e: any) => e.action);
    expect(audit).toContain("directory.attribute_mapping.saved");
  });

  it("names a bad path or attribute name and saves nothing", async () => {
    const { portal, id } = await scimDirectory("Bad Paths");
    const bad = await portal.post(`/portal/directories/${id}/mapping`, { "field.email": "emails[type eq", new_custom_name: "Cost Center", new_custom_paths: "x", action: "save" });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toMatch(/id="field.email-error">invalid path/);
    expect(html).toContain("Name must be snake_case");
    expect((await h.json("GET", `/directories/${id}/attribute_mapping`)).overrides).toEqual({});
  });
});

describe("role mapping editor", () => {
  it("previews the roles a few users would get, then saves them", async () => {
    const { portal, id, org, scim } = await scimDirectory("Roles Ltd");
    const [ada, grace] = await usersOf(id);
    // SCIM clients name members by the ids the SCIM API gave them (the gateway's user ids).
    await scim("/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Admins", members: [{ value: ada.id }] });
    await scim("/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Staff", members: [{ value: grace.id }] });
    const groups = (await h.json("GET", `/directory_groups?directory=${id}&order=asc`)).data;
    const byName = Object.fromEntries(groups.map((g: any) => [g.name, g.id]));

    const page = await (await portal.get(`/portal/directories/${id}/roles`)).text();
    expect(page).toContain("Admins");
    expect(page).toContain(`name="role.${byName.Admins}"`);

    const form = { default_role: "member", [`role.${byName.Admins}`]: "admin", [`priority.${byName.Admins}`]: "1", [`role.${byName.Staff}`]: "editor", [`priority.${byName.Staff}`]: "2" };
    const preview = await (await portal.post(`/portal/directories/${id}/roles`, { ...form, action: "preview" })).text();
    expect(preview).toMatch(/<td>Ada Lovelace<\/td><td>Admins<\/td><td>—<\/td><td>admin<\/td>/);
    expect(preview).toMatch(/<td>Grace Hopper<\/td><td>Staff<\/td><td>—<\/td><td>editor<\/td>/);
    expect(preview).toMatch(/<td>Katherine Johnson<\/td><td>—<\/td><td>—<\/td><td>member<\/td>/);
    expect((await usersOf(id)).map((u: any) => u.role)).toEqual([null, null, null]);

    const bad = await portal.post(`/portal/directories/${id}/roles`, { ...form, [`role.${byName.Staff}`]: "not a slug", action: "save" });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("must be 1 to 64 letters");

    const saved = await portal.post(`/portal/directories/${id}/roles`, { ...form, action: "save" });
    expect(saved.status).toBe(303);
    expect(await (await portal.get(saved.headers.get("location")!)).text()).toContain("got a new role");
    expect((await usersOf(id)).map((u: any) => u.role?.slug)).toEqual(["admin", "editor", "member"]);
    const rules = await h.json("GET", `/directories/${id}/role_mapping`);
    expect(rules).toMatchObject({ default_role: "member", rules: [{ group_name: "Admins", role_slug: "admin", priority: 1 }, { group_name: "Staff", role_slug: "editor", priority: 2 }] });
    const audit = (await h.json("GET", `/audit_events?organization_id=${org}&limit=100`)).data.map((e: any) => e.action);
    expect(audit).toContain("directory.role_mapping.saved");
  });
});
