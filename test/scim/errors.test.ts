// SCIM errors per RFC 7644 §3.12: the Error schema, status as a string, scimType where one applies,
// application/scim+json, and a 4xx (never a 500) for every malformed request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../harness.js";
import { ERROR, filterQuery, GROUP, PATCH_OP, scimDirectory, USER, type ScimDirectory } from "./scim-client.js";

let h: Harness;
let dir: ScimDirectory;
let userId: string;
beforeAll(async () => {
  h = await createHarness({ DSYNC_SCIM_MAX_BODY_BYTES: "4096" });
  dir = await scimDirectory(h);
  userId = (await dir.call("POST", "/Users", { schemas: [USER], userName: "taken@acme.test" })).body.id;
});
afterAll(() => h.close());

function expectScimError(res: { status: number; headers: Headers; body: any }, status: number, scimType?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  expect(res.body.schemas).toEqual([ERROR]);
  expect(res.body.status).toBe(String(status));
  expect(typeof res.body.detail).toBe("string");
  if (scimType) expect(res.body.scimType).toBe(scimType);
}

describe("authentication", () => {
  it("answers 401 without a token, with a wrong token, and with another scheme", async () => {
    expectScimError(await dir.call("GET", "/Users", undefined, { token: false }), 401);
    expectScimError(await dir.call("GET", "/Users", undefined, { token: "scim_wrong" }), 401);
    expectScimError(await dir.call("GET", "/Users", undefined, { token: false, headers: { authorization: `Basic ${dir.token}` } }), 401);
  });

  it("does not accept the operator API key as a SCIM token", async () => {
    const res = await h.request("GET", `/scim/v2/${dir.scope.directoryId}/Users`);
    expectScimError({ status: res.status, headers: res.headers, body: await res.json() }, 401);
  });

  it("serves discovery without a token", async () => {
    const res = await dir.call("GET", "/ServiceProviderConfig", undefined, { token: false });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ patch: { supported: true }, filter: { supported: true, maxResults: 1000 }, bulk: { supported: false } });
  });
});

describe("not found", () => {
  it("answers 404 for unknown ids and unknown endpoints", async () => {
    expectScimError(await dir.call("GET", "/Users/directory_user_01H0000000000000000000000"), 404);
    expectScimError(await dir.call("GET", "/Groups/nope"), 404);
    expectScimError(await dir.call("PATCH", "/Users/nope", { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "x" }] }), 404);
    expectScimError(await dir.call("DELETE", "/Users/nope"), 404);
    expectScimError(await dir.call("GET", "/Bulk"), 404);
  });
});

describe("conflicts", () => {
  it("answers 409 uniqueness for a userName already used in the directory, in any case", async () => {
    expectScimError(await dir.call("POST", "/Users", { schemas: [USER], userName: "TAKEN@acme.test" }), 409, "uniqueness");
  });

  it("answers 409 when a PATCH or PUT renames a user onto another's userName", async () => {
    await dir.call("POST", "/Users", { schemas: [USER], userName: "second@acme.test" });
    const res = await dir.call("PATCH", `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "userName", value: "Second@acme.test" }] });
    expectScimError(res, 409, "uniqueness");
    expect((await dir.call("GET", `/Users/${userId}`)).body.userName).toBe("taken@acme.test");
  });

  it("answers 409 for a second user with the same externalId", async () => {
    await dir.call("POST", "/Users", { schemas: [USER], userName: "x1@acme.test", externalId: "ext-1" });
    expectScimError(await dir.call("POST", "/Users", { schemas: [USER], userName: "x2@acme.test", externalId: "ext-1" }), 409, "uniqueness");
  });

  it("lets two parallel creates with one userName produce one user and one 409", async () => {
    const body = { schemas: [USER], userName: "race@acme.test" };
    const results = await Promise.all([dir.call("POST", "/Users", body), dir.call("POST", "/Users", body)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((await dir.call("GET", `/Users${filterQuery('userName eq "race@acme.test"')}`)).body.totalResults).toBe(1);
  });
});

describe("bad requests never become 500s", () => {
  it.each<[string, string, string, unknown, string | undefined]>([
    ["malformed JSON", "POST", "/Users", '{"schemas": [', "invalidSyntax"],
    ["a JSON array body", "POST", "/Users", "[]", "invalidSyntax"],
    ["missing schemas", "POST", "/Users", { userName: "a@b.c" }, "invalidSyntax"],
    ["the Group schema on /Users", "POST", "/Users", { schemas: [GROUP], userName: "a@b.c" }, "invalidSyntax"],
    ["no userName", "POST", "/Users", { schemas: [USER] }, "invalidValue"],
    ["a numeric userName", "POST", "/Users", { schemas: [USER], userName: 42 }, "invalidValue"],
    ["a userName too long to index", "POST", "/Users", { schemas: [USER], userName: "x".repeat(1025) }, "invalidValue"],
    ["a group name too long to index", "POST", "/Groups", { schemas: [GROUP], displayName: "x".repeat(1025) }, "invalidValue"],
    ["active that is not a boolean", "POST", "/Users", { schemas: [USER], userName: "a@b.c", active: "maybe" }, "invalidValue"],
    ["emails that is not a list", "POST", "/Users", { schemas: [USER], userName: "a@b.c", emails: "a@b.c" }, "invalidValue"],
    ["a group without displayName", "POST", "/Groups", { schemas: [GROUP] }, "invalidValue"],
    ["members that is not a list", "POST", "/Groups", { schemas: [GROUP], displayName: "G", members: "x" }, "invalidValue"],
    ["PATCH without the PatchOp schema", "PATCH", "/Users/ID", { Operations: [{ op: "replace", path: "title", value: "x" }] }, "invalidSyntax"],
    ["PATCH with no operations", "PATCH", "/Users/ID", { schemas: [PATCH_OP], Operations: [] }, "invalidSyntax"],
    ["PATCH with an unknown op", "PATCH", "/Users/ID", { schemas: [PATCH_OP], Operations: [{ op: "move", path: "title", value: "x" }] }, "invalidSyntax"],
    ["PATCH with a malformed path", "PATCH", "/Users/ID", { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "emails[type eq", value: "x" }] }, "invalidPath"],
    ["PATCH removing without a path", "PATCH", "/Users/ID", { schemas: [PATCH_OP], Operations: [{ op: "remove" }] }, "noTarget"],
    ["PATCH clearing userName", "PATCH", "/Users/ID", { schemas: [PATCH_OP], Operations: [{ op: "remove", path: "userName" }] }, "invalidValue"],
  ])("answers 400 for %s", async (_name, method, path, body, scimType) => {
    expectScimError(await dir.call(method, path.replace("ID", userId), body), 400, scimType);
  });

  it("answers 400 or 404, not 500, for U+0000 in a body, a filter or an id (Postgres cannot store it)", async () => {
    expectScimError(await dir.call("POST", "/Users", { schemas: [USER], userName: "nul@acme.test", title: "a\u0000b" }), 400, "invalidValue");
    expectScimError(await dir.call("GET", `/Users${filterQuery('userName eq "a\\u0000"')}`), 400, "invalidFilter");
    expectScimError(await dir.call("GET", "/Users/abc%00def"), 404);
    expectScimError(await dir.call("DELETE", "/Groups/%00"), 404);
  });

  it("rejects a body that is not JSON by content type", async () => {
    const res = await dir.call("POST", "/Users", "userName=a", { headers: { "content-type": "application/x-www-form-urlencoded" } });
    expectScimError(res, 400, "invalidSyntax");
  });

  it("accepts application/json as well as application/scim+json", async () => {
    const res = await dir.call("POST", "/Users", { schemas: [USER], userName: "json@acme.test" }, { headers: { "content-type": "application/json; charset=utf-8" } });
    expect(res.status).toBe(201);
  });

  it.each([
    "userName eq",
    'userName eq "unterminated',
    'userName eq "a" or',
    "((userName eq \"a\")",
    "userName foo \"a\"",
    'active gt true',
    'meta.created gt "not a date"',
    'emails[type eq "work"',
    "members[display eq \"x\"]",
  ])("answers 400 invalidFilter for %j", async (filter) => {
    const path = filter.startsWith("members") ? "/Groups" : "/Users";
    expectScimError(await dir.call("GET", `${path}${filterQuery(filter)}`), 400, "invalidFilter");
  });

  it("answers 400 for a non-numeric count", async () => {
    expectScimError(await dir.call("GET", "/Users?count=ten"), 400, "invalidValue");
  });

  it("answers 413 for a body over the limit, declared or streamed", async () => {
    const big = { schemas: [USER], userName: "big@acme.test", title: "x".repeat(5000) };
    expectScimError(await dir.call("POST", "/Users", big), 413);
    const base = new URL(dir.baseUrl).pathname;
    const text = JSON.stringify(big);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text));
        controller.close();
      },
    });
    const res = await h.request("POST", `${base}/Users`, undefined, { auth: dir.token, headers: { "content-type": "application/scim+json" } });
    expect(res.status).toBe(400); // no body at all: not JSON
    const app = (await import("../../src/app.js")).createApp(h.deps);
    const streamed = await app.request(`${base}/Users`, {
      method: "POST",
      headers: { authorization: `Bearer ${dir.token}`, "content-type": "application/scim+json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it("answers 412 when If-Match names an old version", async () => {
    const current = await dir.call("GET", `/Users/${userId}`);
    expect(current.headers.get("etag")).toBe(current.body.meta.version);
    const res = await dir.call("PATCH", `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "x" }] }, { headers: { "if-match": 'W/"stale"' } });
    expectScimError(res, 412);
    const ok = await dir.call("PATCH", `/Users/${userId}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "x" }] }, { headers: { "if-match": current.body.meta.version } });
    expect(ok.status).toBe(200);
    expect(ok.body.meta.version).not.toBe(current.body.meta.version);
  });
});
