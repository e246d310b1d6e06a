// Per-directory mapping and role mapping on a pulled directory ("okta api" against the Okta emulator):
// a mapping change re-normalizes pulled users from their raw records, later syncs keep using it, and
// role rules follow memberships an incremental sync brings.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { listDirectoryEventsBySeq } from "../src/sync/index.js";
import { OktaDirectory } from "./emulators/okta/directory.js";
import { startOktaEmulator } from "./emulators/okta/server.js";
import { createHarness, type Harness } from "./harness.js";
import { postSync } from "./support/sync-run.js";
import { listAllUsers } from "./support/directory-users.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("normalization of an okta api directory", () => {
  it("re-normalizes pulled users on a mapping change, keeps the mapping on later syncs, and maps roles from pulled groups", async () => {
    const okta = new OktaDirectory();
    okta.now = Date.now() - 60 * 60_000;
    const server = await startOktaEmulator({ directory: okta });
    onTestFinished(() => server.close());
    const token = okta.addApiToken();
    okta.generate(30, 2, 1);

    const org = await h.json("POST", "/organizations", { name: "okta org" });
    const dir = await h.json("POST", "/directories", { organization_id: org.id, type: "okta api", name: "okta", credentials: { org_url: `${server.url}/`, api_token: token } });
    onTestFinished(async () => void (await h.request("DELETE", `/directories/${dir.id}`)));
    expect((await postSync(h, dir.id, "?full=true")).status).toBe("succeeded");
    const pulled = await listAllUsers(h, dir.id);
    expect(pulled).toHaveLength(30);
    expect(pulled[0].custom_attributes.employee_number).toMatch(/^E1000/);

    // Department becomes upper case under its own name, employee_number moves to a new key.
    const events = async () => (await listDirectoryEventsBySeq(h.deps.db, dir.id)).length;
    const before = await events();
    const res = await h.json("PUT", `/directories/${dir.id}/attribute_mapping`, {
      custom_attributes: {
        department: { sources: [{ path: "profile.department", transforms: [{ type: "uppercase" }] }] },
        employee_number: null,
        badge: { sources: [{ path: "profile.employeeNumber", transforms: [{ type: "lowercase" }] }] },
      },
    });
    expect(res.renormalized).toEqual({ users: 30, updated: 30 });
    const updates = (await listDirectoryEventsBySeq(h.deps.db, dir.id)).slice(before);
    expect(updates).toHaveLength(30);
    const first = updates.find((e) => (e.data as any).id === pulled[0].id)!.data as any;
    expect(first.custom_attributes).toMatchObject({ department: pulled[0].custom_attributes.department.toUpperCase(), badge: pulled[0].custom_attributes.employee_number.toLowerCase() });
    expect(first.previous_attributes.custom_attributes).toMatchObject({ department: pulled[0].custom_attributes.department, employee_number: pulled[0].custom_attributes.employee_number, badge: null });

    // A full resync normalizes with the directory's mapping: nothing changed, nothing emitted.
    const afterMapping = await events();
    expect((await postSync(h, dir.id, "?full=true")).status).toBe("succeeded");
    expect(await events()).toBe(afterMapping);

    // Role rules on the pulled groups; an incremental sync that adds a member recomputes that user's role.
    const groups = (await h.json("GET", `/directory_groups?directory=${dir.id}&limit=100&order=asc`)).data;
    const team = groups.find((g: any) => g.name === "Team 0000");
    const roles = await h.json("PUT", `/directories/${dir.id}/role_mapping`, { default_role: "viewer", rules: [{ group_id: team.id, role_slug: "editor", priority: 1 }] });
    expect(roles.recomputed.users).toBe(30);
    const members = new Set((await listAllUsers(h, dir.id)).filter((u) => u.groups.some((g: any) => g.id === team.id)).map((u) => u.idp_id));
    for (const user of await listAllUsers(h, dir.id)) expect(user.role, user.idp_id).toEqual({ slug: members.has(user.idp_id) ? "editor" : "viewer" });

    okta.now = Date.now();
    const teamIdp = team.idp_id as string;
    const outsider = [...okta.users.keys()].find((id) => !members.has(id))!;
    okta.addMember(teamIdp, outsider);
    const beforeIncrement = await events();
    expect((await postSync(h, dir.id)).status).toBe("succeeded");
    const increment = (await listDirectoryEventsBySeq(h.deps.db, dir.id)).slice(beforeIncrement);
    const roleUpdates = increment.filter((e) => e.event === "dsync.user.updated" && (e.data as any).previous_attributes.role);
    expect(roleUpdates.map((e) => [(e.data as any).idp_id, (e.data as any).role, (e.data as any).previous_attributes.role])).toEqual([[outsider, { slug: "editor" }, { slug: "viewer" }]]);
  });
});
