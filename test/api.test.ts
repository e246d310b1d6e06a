import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("authentication", () => {
  it.each([
    ["no header", undefined],
    ["a wrong key", "Bearer sk_wrong"],
    ["a malformed header", "Basic abc"],
  ])("answers 401 with %s", async (_, header) => {
    const res = await h.request("GET", "/directories", undefined, { auth: false, headers: header ? { authorization: header } : {} });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "unauthorized", request_id: expect.any(String) });
  });

  it("accepts a key minted and stored hashed", async () => {
    const { createApiKey } = await import("../src/auth/api-keys.js");
    const created = await createApiKey(h.deps.db, "test", new Date());
    expect((await h.request("GET", "/directories", undefined, { auth: created.key })).status).toBe(200);
    const { apiKeys } = await import("../src/db/schema.js");
    const stored = await h.deps.db.select().from(apiKeys);
    expect(stored.some((k) => k.keyHash.includes(created.key))).toBe(false);
    expect(JSON.stringify(stored)).not.toContain(created.key);
  });

  it("serves /healthz without a key", async () => {
    const res = await h.request("GET", "/healthz", undefined, { auth: false });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });
});

describe("organizations", () => {
  it("creates, gets, lists and deletes", async () => {
    const created = await h.json("POST", "/organizations", {
      name: "Globex",
      external_id: `ext-${Date.now()}`,
      domain_data: [{ domain: "Globex.test", state: "verified" }],
    });
    expect(created).toMatchObject({ object: "organization", name: "Globex", domains: [{ object: "organization_domain", domain: "globex.test" }] });
    expect(created.id).toMatch(/^org_[0-9A-Z]{26}$/);
    expect(await h.json("GET", `/organizations/${created.id}`)).toEqual(created);
    const byDomain = await h.json("GET", "/organizations?domains=globex.test");
    expect(byDomain.data.map((o: any) => o.id)).toContain(created.id);
    expect((await h.request("DELETE", `/organizations/${created.id}`)).status).toBe(204);
    expect((await h.request("GET", `/organizations/${created.id}`)).status).toBe(404);
  });

  it("refuses a duplicate external_id with 409", async () => {
    const external_id = `dup-${Date.now()}`;
    await h.json("POST", "/organizations", { name: "A", external_id });
    const res = await h.request("POST", "/organizations", { name: "B", external_id });
    expect(res.status).toBe(409);
  });

  it("deleting an organization deletes its directories with dsync.deleted", async () => {
    const scope = await h.directory();
    expect((await h.request("DELETE", `/organizations/${scope.organizationId}`)).status).toBe(204);
    expect((await h.request("GET", `/directories/${scope.directoryId}`)).status).toBe(404);
    await h.settle();
    const events = await h.json("GET", `/events?organization_id=${scope.organizationId}&events=dsync.deleted`);
    expect(events.data.map((e: any) => e.data.id)).toEqual([scope.directoryId]);
  });
});

describe("directories", () => {
  it("creates a directory and lists it filtered by organization", async () => {
    const org = await h.json("POST", "/organizations", { name: "Initech" });
    const dir = await h.json("POST", "/directories", { organization_id: org.id, type: "okta scim v2.0", name: "Okta" });
    expect(dir).toMatchObject({ object: "directory", organization_id: org.id, type: "okta scim v2.0", state: "unlinked", name: "Okta" });
    expect(dir.id).toMatch(/^directory_[0-9A-Z]{26}$/);
    const list = await h.json("GET", `/directories?organization_id=${org.id}`);
    expect(list).toMatchObject({ object: "list", data: [{ id: dir.id }], list_metadata: { before: null, after: null } });
  });

  it.each([
    [{ organization_id: "org_x", type: "okta scim v2.0", name: "x" }, 400, "organization_id"],
    [{ type: "okta scim v2.0", name: "x" }, 400, "organization_id"],
    [{ organization_id: "org_x", type: "carrier pigeon", name: "x" }, 400, "type"],
    [{ organization_id: "org_x", type: "okta scim v2.0", name: "" }, 400, "name"],
    [{ organization_id: "org_x", type: "okta scim v2.0", name: "x", surprise: 1 }, 400, "body"],
  ])("rejects %j with %i naming the field", async (body, status, field) => {
    const res = await h.request("POST", "/directories", body);
    expect(res.status).toBe(status);
    const error = (await res.json()) as any;
    expect(error.code).toBe("invalid_input");
    expect(JSON.stringify(error)).toContain(field);
    expect(JSON.stringify(error)).not.toMatch(/at \w+ \(|\.ts:\d+/);
  });

  it("rejects malformed JSON and a non-JSON body with 400", async () => {
    const bad = await h.request("POST", "/directories", "{not json", { headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).message).toMatch(/not valid JSON/);
    const text = await h.request("POST", "/directories", "name=x", { headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(400);
  });

  it("answers 404 for unknown ids and unknown routes", async () => {
    for (const path of ["/directories/directory_nope", "/directory_users/directory_user_nope", "/directory_groups/nope", "/nowhere"]) {
      const res = await h.request("GET", path);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as any).code).toBe("not_found");
    }
    expect((await h.request("DELETE", "/directories/directory_nope")).status).toBe(404);
  });
});

describe("users and groups", () => {
  async function populated() {
    const scope = await h.directory();
    await h.deps.reconciler.applySnapshot(scope, {
      users: Array.from({ length: 25 }, (_, i) => ({ idp_id: `u${String(i).padStart(2, "0")}`, email: `u${i}@acme.test` })),
      groups: [
        { idp_id: "g1", name: "Even" },
        { idp_id: "g2", name: "All" },
      ],
      memberships: Array.from({ length: 25 }, (_, i) => [
        ...(i % 2 === 0 ? [{ group_idp_id: "g1", user_idp_id: `u${String(i).padStart(2, "0")}` }] : []),
        { group_idp_id: "g2", user_idp_id: `u${String(i).padStart(2, "0")}` },
      ]).flat(),
    });
    return scope;
  }

  it("lists users of a directory newest first by default and pages with after / before", async () => {
    const scope = await populated();
    const first = await h.json("GET", `/directory_users?directory=${scope.directoryId}&limit=10`);
    expect(first.data).toHaveLength(10);
    expect(first.data[0].idp_id).toBe("u24");
    expect(first.list_metadata).toEqual({ before: null, after: first.data[9].id });
    const second = await h.json("GET", `/directory_users?directory=${scope.directoryId}&limit=10&after=${first.list_metadata.after}`);
    const third = await h.json("GET", `/directory_users?directory=${scope.directoryId}&limit=10&after=${second.list_metadata.after}`);
    expect(third.data).toHaveLength(5);
    expect(third.list_metadata.after).toBeNull();
    const all = [...first.data, ...second.data, ...third.data].map((u: any) => u.idp_id);
    expect(all).toEqual(Array.from({ length: 25 }, (_, i) => `u${String(24 - i).padStart(2, "0")}`));
    const back = await h.json("GET", `/directory_users?directory=${scope.directoryId}&limit=10&before=${second.list_metadata.before}`);
    expect(back.data.map((u: any) => u.id)).toEqual(first.data.map((u: any) => u.id));
  });

  it("lists oldest first with order=asc, and newest first with after meaning newer for order=normal", async () => {
    const scope = await populated();
    const asc = await h.json("GET", `/directory_users?directory=${scope.directoryId}&order=asc&limit=3`);
    expect(asc.data.map((u: any) => u.idp_id)).toEqual(["u00", "u01", "u02"]);
    const normal = await h.json("GET", `/directory_users?directory=${scope.directoryId}&order=normal&limit=3`);
    expect(normal.data.map((u: any) => u.idp_id)).toEqual(["u24", "u23", "u22"]);
    const older = await h.json("GET", `/directory_users?directory=${scope.directoryId}&order=normal&limit=3&before=${normal.list_metadata.before}`);
    expect(older.data.map((u: any) => u.idp_id)).toEqual(["u21", "u20", "u19"]);
    const newer = await h.json("GET", `/directory_users?directory=${scope.directoryId}&order=normal&limit=3&after=${older.data[0].id}`);
    expect(newer.data.map((u: any) => u.idp_id)).toEqual(["u24", "u23", "u22"]);
  });

  it("filters users by group and groups by user, with groups always present on users", async () => {
    const scope = await populated();
    const groups = await h.json("GET", `/directory_groups?directory=${scope.directoryId}`);
    const even = groups.data.find((g: any) => g.name === "Even");
    const members = await h.json("GET", `/directory_users?group=${even.id}&limit=100`);
    expect(members.data).toHaveLength(13);
    const u00 = members.data.find((u: any) => u.idp_id === "u00");
    expect(u00.groups.map((g: any) => g.name).sort()).toEqual(["All", "Even"]);
    const ofUser = await h.json("GET", `/directory_groups?user=${u00.id}`);
    expect(ofUser.data.map((g: any) => g.name).sort()).toEqual(["All", "Even"]);
    const one = await h.json("GET", `/directory_users/${u00.id}`);
    expect(one).toMatchObject({ object: "directory_user", idp_id: "u00", directory_id: scope.directoryId, organization_id: scope.organizationId, state: "active" });
    expect(await h.json("GET", `/directory_groups/${even.id}`)).toMatchObject({ object: "directory_group", name: "Even" });
  });

  it.each([
    ["/directory_users", "directory"],
    ["/directory_groups", "directory"],
    ["/directory_users?directory=d&limit=0", "limit"],
    ["/directory_users?directory=d&limit=101", "limit"],
    ["/directory_users?directory=d&limit=ten", "limit"],
    ["/directory_users?directory=d&order=sideways", "order"],
    ["/directory_users?directory=d&before=a&after=b", "before"],
  ])("GET %s answers 400 naming %s", async (path, field) => {
    const res = await h.request("GET", path);
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.errors.map((e: any) => e.field)).toContain(field);
  });
});

describe("events", () => {
  it("lists events oldest first with type, organization and time filters and an after cursor", async () => {
    const scope = await h.directory();
    h.clock.advance(60_000);
    const t0 = h.clock.now().toISOString();
    await h.deps.reconciler.upsertUser(scope, { idp_id: "e1", email: "e1@acme.test" });
    await h.deps.reconciler.upsertGroup(scope, { idp_id: "eg", name: "G" });
    await h.deps.reconciler.upsertUser(scope, { idp_id: "e1", email: "e1@new.test" });
    h.clock.advance(60_000);
    await h.deps.reconciler.deleteUser(scope, { idp_id: "e1" });
    await h.settle();

    const base = `/events?organization_id=${scope.organizationId}`;
    const all = await h.json("GET", base);
    expect(all.data.map((e: any) => e.event)).toEqual(["dsync.user.created", "dsync.group.created", "dsync.user.updated", "dsync.user.deleted"]);
    expect(all.data[0]).toMatchObject({ object: "event", id: expect.stringMatching(/^event_/), created_at: t0 });

    const users = await h.json("GET", `${base}&events=dsync.user.created,dsync.user.deleted`);
    expect(users.data.map((e: any) => e.event)).toEqual(["dsync.user.created", "dsync.user.deleted"]);
    const bracketed = await h.json("GET", `${base}&events[]=dsync.user.created&events[]=dsync.user.deleted`);
    expect(bracketed.data.map((e: any) => e.id)).toEqual(users.data.map((e: any) => e.id));

    const page = await h.json("GET", `${base}&limit=2`);
    expect(page.list_metadata.after).toBe(all.data[1].id);
    const rest = await h.json("GET", `${base}&after=${page.list_metadata.after}`);
    expect(rest.data.map((e: any) => e.id)).toEqual(all.data.slice(2).map((e: any) => e.id));

    const early = await h.json("GET", `${base}&range_end=${encodeURIComponent(t0)}`);
    expect(early.data).toHaveLength(3);
    const late = await h.json("GET", `${base}&range_start=${encodeURIComponent(new Date(Date.parse(t0) + 1).toISOString())}`);
    expect(late.data.map((e: any) => e.event)).toEqual(["dsync.user.deleted"]);
  });

  it.each([
    ["events=dsync.user.exploded", "events"],
    ["range_start=yesterday", "range_start"],
    ["after=event_01J00000000000000000000000", "after"],
  ])("rejects %s naming %s", async (query, field) => {
    const res = await h.request("GET", `/events?${query}`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain(field);
  });
});
