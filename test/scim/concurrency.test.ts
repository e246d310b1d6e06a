// Concurrent PATCHes to one group never lose a member: each PATCH is one unit of work under the
// directory lock. On Postgres the PATCHes also go through two gateways with their own connection
// pools and reconcilers, as two serve processes would; on PGlite they share the one connection.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDirectoryEventsBySeq } from "../../src/sync/index.js";
import { createHarness, onPostgres, type Harness } from "../harness.js";
import { GROUP, PATCH_OP, scimDirectory, USER, type ScimDirectory } from "./scim-client.js";

let h: Harness;
let second: Harness | null = null;
beforeAll(async () => {
  h = await createHarness();
  if (onPostgres) second = await createHarness();
});
afterAll(async () => {
  await second?.close();
  await h.close();
});

async function users(dir: ScimDirectory, n: number, prefix: string): Promise<string[]> {
  const created = await Promise.all(
    Array.from({ length: n }, (_, i) => dir.call("POST", "/Users", { schemas: [USER], userName: `${prefix}${i}@acme.test` })),
  );
  expect(created.every((r) => r.status === 201)).toBe(true);
  return created.map((r) => r.body.id);
}

/** The same directory, called through the second gateway when there is one. */
function viaSecond(dir: ScimDirectory): ScimDirectory {
  if (!second) return dir;
  const gateway = second;
  const basePath = new URL(dir.baseUrl).pathname;
  return {
    ...dir,
    async call(method, path, body) {
      const res = await gateway.request(method, `${basePath}${path}`, body, { auth: dir.token, headers: { "content-type": "application/scim+json" } });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
    },
  };
}

describe("concurrent user creates", () => {
  it("answer each create on its own: names and externalIds stay unique, every 409 names a real clash, nothing is lost", async () => {
    const dir = await scimDirectory(h);
    const other = viaSecond(dir);
    await dir.call("POST", "/Users", { schemas: [USER], userName: "existing@acme.test", externalId: "ext-existing" });
    const bodies: { schemas: string[]; userName: string; externalId?: string }[] = [
      ...Array.from({ length: 20 }, (_, i) => ({ schemas: [USER], userName: `fresh${i}@acme.test`, externalId: `ext-${i}` })),
      ...Array.from({ length: 10 }, (_, i) => ({ schemas: [USER], userName: `FRESH${i}@ACME.test` })),
      ...Array.from({ length: 5 }, (_, i) => ({ schemas: [USER], userName: `other${i}@acme.test`, externalId: `ext-${i}` })),
      { schemas: [USER], userName: "Existing@acme.test" },
      { schemas: [USER], userName: "new@acme.test", externalId: "ext-existing" },
    ];
    const results = await Promise.all(bodies.map((body, i) => (i % 2 ? other : dir).call("POST", "/Users", body)));
    expect(results.every((r) => r.status === 201 || (r.status === 409 && r.body.scimType === "uniqueness"))).toBe(true);
    const won = bodies.filter((_, i) => results[i]!.status === 201);
    const names = [...won.map((b) => b.userName.toLowerCase()), "existing@acme.test"];
    const externalIds = [...won.flatMap((b) => (b.externalId ? [b.externalId] : [])), "ext-existing"];
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(externalIds).size).toBe(externalIds.length);
    bodies.forEach((body, i) => {
      if (results[i]!.status === 409) expect(names.includes(body.userName.toLowerCase()) || externalIds.includes(body.externalId!)).toBe(true);
    });
    // Whichever spelling won, each of the 20 fresh names exists exactly once; the clashes with stored users lost.
    for (let i = 0; i < 20; i++) expect(names.filter((n) => n === `fresh${i}@acme.test`)).toHaveLength(1);
    expect(results.slice(-2).map((r) => r.status)).toEqual([409, 409]);
    expect((await dir.call("GET", "/Users?count=0")).body.totalResults).toBe(won.length + 1);
    const events = await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId);
    expect(events.filter((e) => e.event === "dsync.user.created")).toHaveLength(won.length + 1);
  });
});

describe("concurrent group PATCHes", () => {
  it("lose no member when 40 PATCHes add different members at once", async () => {
    const dir = await scimDirectory(h);
    const other = viaSecond(dir);
    const ids = await users(dir, 40, "member");
    const groupId = (await dir.call("POST", "/Groups", { schemas: [GROUP], displayName: "Everyone" })).body.id;
    const results = await Promise.all(
      ids.map((id, i) =>
        (i % 2 ? other : dir).call("PATCH", `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: id }] }] }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 204));
    const members = (await dir.call("GET", `/Groups/${groupId}`)).body.members.map((m: { value: string }) => m.value);
    expect(members.sort()).toEqual([...ids].sort());
    const added = (await listDirectoryEventsBySeq(h.deps.db, dir.scope.directoryId)).filter((e) => e.event === "dsync.group.user_added");
    expect(added.map((e) => (e.data.user as { id: string }).id).sort()).toEqual([...ids].sort());
  });

  it("keep a rename and member adds and removes racing each other consistent", async () => {
    const dir = await scimDirectory(h);
    const other = viaSecond(dir);
    const ids = await users(dir, 20, "racer");
    const groupId = (await dir.call("POST", "/Groups", { schemas: [GROUP], displayName: "Racers", members: ids.slice(0, 10).map((value) => ({ value })) })).body.id;
    const patches = [
      ...ids.slice(10).map((id) => ({ op: "add", path: "members", value: [{ value: id }] })),
      ...ids.slice(0, 5).map((id) => ({ op: "remove", path: `members[value eq "${id}"]` })),
      { op: "replace", path: "displayName", value: "Racers renamed" },
    ];
    const results = await Promise.all(patches.map((op, i) => (i % 2 ? other : dir).call("PATCH", `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [op] })));
    expect(results.every((r) => r.status === 204)).toBe(true);
    const group = (await dir.call("GET", `/Groups/${groupId}`)).body;
    expect(group.displayName).toBe("Racers renamed");
    expect(group.members.map((m: { value: string }) => m.value).sort()).toEqual(ids.slice(5).sort());
    const rest = await h.json("GET", `/directory_users?group=${groupId}&limit=100`);
    expect(rest.data).toHaveLength(15);
  });
});
