// Tenant isolation: directory A's token can neither read nor change anything of directory B, whether
// it calls B's base URL or names B's ids under its own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDirectoryEventsBySeq } from "../../src/sync/index.js";
import { createHarness, type Harness } from "../harness.js";
import { filterQuery, GROUP, PATCH_OP, scimDirectory, USER, type ScimDirectory } from "./scim-client.js";

let h: Harness;
let a: ScimDirectory;
let b: ScimDirectory;
let bUser: string;
let bGroup: string;
let aUser: string;
let aGroup: string;

beforeAll(async () => {
  h = await createHarness();
  a = await scimDirectory(h, "okta scim v2.0");
  b = await scimDirectory(h, "azure scim v2.0");
  bUser = (await b.call("POST", "/Users", { schemas: [USER], userName: "shared@acme.test", externalId: "same-ext" })).body.id;
  bGroup = (await b.call("POST", "/Groups", { schemas: [GROUP], displayName: "B team", members: [{ value: bUser }] })).body.id;
  aUser = (await a.call("POST", "/Users", { schemas: [USER], userName: "a-user@acme.test" })).body.id;
  aGroup = (await a.call("POST", "/Groups", { schemas: [GROUP], displayName: "A team" })).body.id;
});
afterAll(() => h.close());

describe("tenant isolation", () => {
  it("rejects A's token on B's base URL with 401", async () => {
    const res = await b.call("GET", "/Users", undefined, { token: a.token });
    expect(res.status).toBe(401);
    expect((await b.call("DELETE", `/Users/${bUser}`, undefined, { token: a.token })).status).toBe(401);
  });

  it("answers 404 when A names B's ids under its own base URL, for every method", async () => {
    const patch = { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] };
    expect((await a.call("GET", `/Users/${bUser}`)).status).toBe(404);
    expect((await a.call("PATCH", `/Users/${bUser}`, patch)).status).toBe(404);
    expect((await a.call("PUT", `/Users/${bUser}`, { schemas: [USER], userName: "hijack@acme.test" })).status).toBe(404);
    expect((await a.call("DELETE", `/Users/${bUser}`)).status).toBe(404);
    expect((await a.call("GET", `/Groups/${bGroup}`)).status).toBe(404);
    expect((await a.call("PATCH", `/Groups/${bGroup}`, { schemas: [PATCH_OP], Operations: [{ op: "remove", path: "members" }] })).status).toBe(404);
    expect((await a.call("DELETE", `/Groups/${bGroup}`)).status).toBe(404);
  });

  it("never lists or finds B's resources through A's filters", async () => {
    for (const filter of [`id eq "${bUser}"`, 'userName eq "shared@acme.test"', 'externalId eq "same-ext"', "userName pr"]) {
      const res = await a.call("GET", `/Users${filterQuery(filter)}`);
      expect(res.body.Resources.map((r: { id: string }) => r.id), filter).not.toContain(bUser);
    }
    const groups = await a.call("GET", `/Groups${filterQuery(`members[value eq "${bUser}"]`)}`);
    expect(groups.body.totalResults).toBe(0);
  });

  it("does not let A add B's user to A's group", async () => {
    const res = await a.call("PATCH", `/Groups/${aGroup}`, { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: bUser }, { value: aUser }] }] });
    expect(res.status).toBe(204);
    const members = (await a.call("GET", `/Groups/${aGroup}`)).body.members.map((m: { value: string }) => m.value);
    expect(members).toEqual([aUser]);
  });

  it("allows the same userName and externalId in two directories", async () => {
    const res = await a.call("POST", "/Users", { schemas: [USER], userName: "shared@acme.test", externalId: "same-ext" });
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe(bUser);
  });

  it("leaves B exactly as it was", async () => {
    const user = await b.call("GET", `/Users/${bUser}`);
    expect(user.body).toMatchObject({ userName: "shared@acme.test", active: true });
    const group = await b.call("GET", `/Groups/${bGroup}`);
    expect(group.body.members.map((m: { value: string }) => m.value)).toEqual([bUser]);
    const events = await listDirectoryEventsBySeq(h.deps.db, b.scope.directoryId);
    expect(events.map((e) => e.event)).toEqual(["dsync.activated", "dsync.user.created", "dsync.group.created", "dsync.group.user_added"]);
  });
});
