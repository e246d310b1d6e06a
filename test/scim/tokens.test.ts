// SCIM tokens (issued once at directory creation, rotated through the REST API, stored hashed), the
// linked state, the request log and the per-directory rate limit.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDirectoryEventsBySeq } from "../../src/sync/index.js";
import { TOKEN_CACHE_TTL_MS } from "../../src/scim/token-cache.js";
import { createHarness, onPostgres, type Harness } from "../harness.js";
import { filterQuery, scimDirectory, USER } from "./scim-client.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ DSYNC_SCIM_RATE_PER_SEC: "2", DSYNC_SCIM_BURST: "5", DSYNC_BASE_URL: "https://gw.example.com/" });
});
afterAll(() => h.close());

describe("SCIM tokens", () => {
  it("returns the base URL and token once, at creation, for SCIM directory types only", async () => {
    const org = await h.json("POST", "/organizations", { name: "Acme" });
    const scim = await h.json("POST", "/directories", { organization_id: org.id, type: "okta scim v2.0", name: "Okta" });
    expect(scim.scim).toEqual({ base_url: `https://gw.example.com/scim/v2/${scim.id}`, token: expect.stringMatching(/^scim_[A-Za-z0-9_-]{40,}$/) });
    expect(await h.json("GET", `/directories/${scim.id}`)).not.toHaveProperty("scim");
    const pull = await h.json("POST", "/directories", { organization_id: org.id, type: "azure graph", name: "Graph" });
    expect(pull).not.toHaveProperty("scim");
    expect((await h.request("POST", `/directories/${pull.id}/scim_token`)).status).toBe(400);
  });

  it("stores only a hash of the token", async () => {
    const dir = await scimDirectory(h);
    const rows = await h.deps.db.execute(sql`select token_hash from scim_tokens where directory_id = ${dir.scope.directoryId}`);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(dir.token);
    expect(stored).toMatch(/[0-9a-f]{64}/);
  });

  it("rotates: the new token works at once and the old one stops working", async () => {
    const dir = await scimDirectory(h);
    expect((await dir.call("GET", "/Users")).status).toBe(200);
    const rotated = await h.json("POST", `/directories/${dir.scope.directoryId}/scim_token`);
    expect(rotated.scim.token).not.toBe(dir.token);
    expect(rotated.scim.base_url).toBe(dir.baseUrl);
    expect((await dir.call("GET", "/Users")).status).toBe(401);
    expect((await dir.call("GET", "/Users", undefined, { token: rotated.scim.token })).status).toBe(200);
  });

  it("refuses a deleted directory's token at once, though it was just verified", async () => {
    const dir = await scimDirectory(h);
    expect((await dir.call("GET", "/Users")).status).toBe(200);
    expect((await h.request("DELETE", `/directories/${dir.scope.directoryId}`)).status).toBe(204);
    expect((await dir.call("GET", "/Users")).status).toBe(401);
    expect((await dir.call("POST", "/Users", { schemas: [USER], userName: "late@acme.test" })).status).toBe(401);
  });

  it.runIf(onPostgres)("stops accepting a token rotated by another gateway process within about a second", async () => {
    // A second harness on the same database: its own pool and token cache, as another serve process has.
    const other = await createHarness({ DSYNC_BASE_URL: "https://gw.example.com/" });
    try {
      const dir = await scimDirectory(h);
      const basePath = new URL(dir.baseUrl).pathname;
      const viaOther = async (token: string) => (await other.request("GET", `${basePath}/Users`, undefined, { auth: token })).status;
      expect(await viaOther(dir.token)).toBe(200); // verified and cached there
      const rotated = await h.json("POST", `/directories/${dir.scope.directoryId}/scim_token`);
      expect((await dir.call("GET", "/Users")).status).toBe(401); // at once in the rotating process
      await new Promise((r) => setTimeout(r, TOKEN_CACHE_TTL_MS + 100));
      expect(await viaOther(dir.token)).toBe(401);
      expect(await viaOther(rotated.scim.token)).toBe(200);
    } finally {
      await other.close();
    }
  });

  it("needs the operator key to rotate, and 404s for an unknown directory", async () => {
    const dir = await scimDirectory(h);
    expect((await h.request("POST", `/directories/${dir.scope.directoryId}/scim_token`, undefined, { auth: dir.token })).status).toBe(401);
    expect((await h.request("POST", "/directories/directory_01H0000000000000000000000/scim_token")).status).toBe(404);
  });
});

describe("linking", () => {
  it("emits dsync.activated once when the IdP's first requests arrive together", async () => {
    const dir = await scimDirectory(h);
    const results = await Promise.all(Array.from({ length: 5 }, () => dir.call("GET", "/Users")));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const events = await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId);
    expect(events.map((e) => e.event)).toEqual(["dsync.activated"]);
  });

  it("marks the directory linked on its first authenticated request, emitting dsync.activated once", async () => {
    const dir = await scimDirectory(h);
    expect((await h.json("GET", `/directories/${dir.scope.directoryId}`)).state).toBe("unlinked");
    await dir.call("GET", "/Users", undefined, { token: "scim_wrong" });
    expect((await h.json("GET", `/directories/${dir.scope.directoryId}`)).state).toBe("unlinked");
    await dir.call("GET", "/Users");
    await dir.call("GET", "/Groups");
    expect((await h.json("GET", `/directories/${dir.scope.directoryId}`)).state).toBe("linked");
    const events = await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId);
    expect(events.map((e) => e.event)).toEqual(["dsync.activated"]);
  });
});

describe("request log", () => {
  it("records method, path, status, duration and error detail, never the token or body", async () => {
    const dir = await scimDirectory(h);
    h.clock.advance(60_000);
    await dir.call("POST", "/Users", { schemas: [USER], userName: "log@acme.test", password: "hunter2-secret" });
    await dir.call("POST", "/Users", { schemas: [USER], userName: "log@acme.test" });
    await dir.call("GET", `/Users${filterQuery('userName eq "log@acme.test"')}`);
    await dir.call("GET", "/Groups", undefined, { token: "scim_stale_token" });
    let page: any;
    await expect
      .poll(async () => {
        page = await h.json("GET", `/directories/${dir.scope.directoryId}/scim_requests?order=asc`);
        return page.data.length;
      }, { timeout: 5000 })
      .toBe(4);
    expect(page.object).toBe("list");
    expect(page.data.map((r: any) => [r.method, r.path, r.status])).toEqual([
      ["POST", "/Users", 201],
      ["POST", "/Users", 409],
      ["GET", `/Users${filterQuery('userName eq "log@acme.test"')}`, 200],
      ["GET", "/Groups", 401],
    ]);
    expect(page.data[3].error).toBe("invalid bearer token for this directory");
    expect(page.data[0]).toMatchObject({ object: "scim_request", directory_id: dir.scope.directoryId, error: null });
    expect(page.data[0].duration_ms).toBeGreaterThanOrEqual(0);
    expect(page.data[1].error).toContain("already exists");
    const text = JSON.stringify(page);
    expect(text).not.toContain(dir.token);
    expect(text).not.toContain("hunter2-secret");
    expect(text).not.toContain("scim_stale_token");
  });

  it("pages with the WorkOS list envelope and needs the operator key", async () => {
    const dir = await scimDirectory(h);
    h.clock.advance(60_000);
    for (let i = 0; i < 3; i++) await dir.call("GET", "/Groups");
    await expect.poll(async () => (await h.json("GET", `/directories/${dir.scope.directoryId}/scim_requests`)).data.length, { timeout: 5000 }).toBe(3);
    const first = await h.json("GET", `/directories/${dir.scope.directoryId}/scim_requests?limit=2`);
    expect(first.data).toHaveLength(2);
    expect(first.list_metadata.after).toBe(first.data[1].id);
    const second = await h.json("GET", `/directories/${dir.scope.directoryId}/scim_requests?limit=2&after=${first.list_metadata.after}`);
    expect(second.data).toHaveLength(1);
    expect((await h.request("GET", `/directories/${dir.scope.directoryId}/scim_requests`, undefined, { auth: dir.token })).status).toBe(401);
  });
});

describe("rate limit", () => {
  it("answers 429 with Retry-After in the SCIM error format past the burst, per directory, and recovers", async () => {
    const a = await scimDirectory(h);
    const b = await scimDirectory(h);
    h.clock.advance(60_000);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await a.call("GET", "/Users")).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await a.call("POST", "/Users", { schemas: [USER], userName: "limited@acme.test" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "429" });
    expect((await b.call("GET", "/Users")).status).toBe(200);
    expect((await h.request("GET", "/directories?limit=1")).status).toBe(200);
    h.clock.advance(1000);
    const retried = await a.call("POST", "/Users", { schemas: [USER], userName: "limited@acme.test" });
    expect(retried.status).toBe(201);
  });
});
