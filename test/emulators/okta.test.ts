// The official @okta/okta-sdk-nodejs against the Okta emulator: auth, paging, filters, the System
// Log's polling semantics, rate limits and errors behave as idp-apis.md §3 describes.
import { generateKeyPairSync } from "node:crypto";
import * as okta from "@okta/okta-sdk-nodejs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OktaDirectory } from "./okta/directory.js";
import { startOktaEmulator, type OktaEmulator } from "./okta/server.js";

let url: string;
let emulator: OktaEmulator;
let close: () => Promise<void>;
let token: string;

beforeAll(async () => {
  const directory = new OktaDirectory();
  ({ url, emulator, close } = await startOktaEmulator({ directory }));
  token = directory.addApiToken();
});
afterAll(() => close());

function client(extra: Record<string, unknown> = {}): okta.Client {
  return new okta.Client({
    orgUrl: url,
    token,
    cacheMiddleware: null,
    requestExecutor: new okta.DefaultRequestExecutor({ maxRetries: 2, requestTimeout: 10_000 }),
    ...extra,
  } as never);
}

async function all<T>(collection: Promise<AsyncIterable<T>> | AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of await collection) {
    if (item === null) break; // a caught-up System Log poll yields null
    out.push(item);
  }
  return out;
}

describe("Okta emulator with the official SDK", () => {
  it("pages users with Link headers at the 200 cap and omits DEPROVISIONED without a query", async () => {
    const d = emulator.directory;
    const before = d.users.size;
    d.generate(450, 5);
    const gone = d.createUser({ email: "gone@example.com", firstName: "Gone", lastName: "User" });
    d.setStatus(gone.id, "DEPROVISIONED");
    emulator.requests.length = 0;

    const users = await all(client().userApi.listUsers({}));
    expect(users).toHaveLength(before + 450);
    expect(users.some((u: any) => u.id === gone.id)).toBe(false);
    const pages = emulator.requests.filter((r) => r.path === "/api/v1/users");
    expect(pages.length).toBe(Math.ceil((before + 450) / 200));
    expect(pages[1]!.query.after).toBeDefined();
    const first = users[0] as any;
    expect(first.created).toBeInstanceOf(Date);
    expect(first.profile.employeeNumber).toMatch(/^E1/);

    const withDeprovisioned = await all(client().userApi.listUsers({ filter: 'status eq "DEPROVISIONED"' }));
    expect(withDeprovisioned.map((u: any) => u.id)).toContain(gone.id);
  });

  it("filters on lastUpdated for incremental sync and rejects what Okta rejects", async () => {
    const d = emulator.directory;
    d.advance(60_000);
    const cursor = new Date(d.now).toISOString();
    d.advance(1_000);
    const changed = d.updateProfile([...d.users.keys()][3]!, { title: "Principal Engineer" });
    const created = d.createUser({ email: "new.hire@example.com", firstName: "New", lastName: "Hire" }, "STAGED");
    const recent = await all(client().userApi.listUsers({ filter: `lastUpdated gt "${cursor}"` }));
    expect(recent.map((u: any) => u.id).sort()).toEqual([changed.id, created.id].sort());
    expect((recent.find((u: any) => u.id === created.id) as any).activated).toBeNull();

    await expect(all(client().userApi.listUsers({ filter: 'profile.department eq "Sales"' }))).rejects.toMatchObject({ status: 400, errorCode: "E0000031" });
    await expect(all(client().userApi.listUsers({ filter: 'lastUpdated gt "2026-11-27"' }))).rejects.toMatchObject({ status: 400, errorCode: "E0000030" });
    const bySearch = await all(client().userApi.listUsers({ search: 'profile.department eq "Sales"' }));
    expect(bySearch.length).toBeGreaterThan(0);
    expect(bySearch.every((u: any) => u.profile.department === "Sales")).toBe(true);
  });

  it("lists groups with types and filters, and group members at the 1000 cap", async () => {
    const d = emulator.directory;
    d.generate(800, 0);
    d.createGroup({ name: "AD Admins", samAccountName: "adadmins", dn: "CN=AD Admins,DC=example,DC=com" }, "APP_GROUP");
    const big = d.createGroup({ name: "Everyone Big" });
    const ids = [...d.users.keys()].slice(0, 1200);
    for (const id of ids) d.addMember(big.id, id, { silent: true });
    emulator.requests.length = 0;
    const members = await all(client().groupApi.listGroupUsers({ groupId: big.id }));
    expect(members).toHaveLength(1200);
    expect(emulator.requests.filter((r) => r.path === `/api/v1/groups/${big.id}/users`)).toHaveLength(2);

    const groups = await all(client().groupApi.listGroups({}));
    expect(groups.map((g: any) => g.type)).toEqual(expect.arrayContaining(["BUILT_IN", "OKTA_GROUP", "APP_GROUP"]));
    const appGroups = await all(client().groupApi.listGroups({ filter: 'type eq "APP_GROUP"' }));
    expect(appGroups.length).toBeGreaterThan(0);
    expect(appGroups.every((g: any) => g.type === "APP_GROUP")).toBe(true);

    const since = new Date(d.now).toISOString();
    d.advance(1_000);
    d.removeMember(big.id, ids[0]!);
    const moved = await all(client().groupApi.listGroups({ filter: `lastMembershipUpdated gt "${since}"` }));
    expect(moved.map((g: any) => g.id)).toContain(big.id);
  });

  it("polls the System Log: a next link every time, nothing once caught up, new events after", async () => {
    const d = emulator.directory;
    d.advance(1_000);
    const since = new Date(d.now).toISOString();
    d.advance(1_000);
    const user = d.createUser({ email: "log.user@example.com", firstName: "Log", lastName: "User" });
    const group = d.createGroup({ name: "Loggers" });
    d.addMember(group.id, user.id);
    d.setStatus(user.id, "DEPROVISIONED");
    d.deleteUser(user.id);

    const filter = 'eventType sw "user.lifecycle" or eventType sw "group.user_membership"';
    const events = await all(client().systemLogApi.listLogEvents({ since, filter }));
    expect(events.map((e: any) => e.eventType)).toEqual([
      "user.lifecycle.create",
      "user.lifecycle.activate",
      "group.user_membership.add",
      "user.lifecycle.deactivate",
      "user.lifecycle.delete.initiated",
    ]);
    const membership = events[2] as any;
    expect(membership.target.map((t: any) => t.type)).toEqual(["User", "UserGroup"]);
    expect(membership.published).toBeInstanceOf(Date);

    // Polling without until: the last response still links onward, and an empty page means caught up.
    const polls = emulator.requests.filter((r) => r.path === "/api/v1/logs");
    expect(polls.length).toBeGreaterThanOrEqual(2);
    const res = await fetch(`${url}/api/v1/logs?since=${encodeURIComponent(since)}&limit=1000`, { headers: { authorization: `SSWS ${token}` } });
    const next = /<([^>]+)>; rel="next"/.exec(res.headers.get("link") ?? "")?.[1];
    expect(next).toBeDefined();
    const caughtUp = await fetch(next!, { headers: { authorization: `SSWS ${token}` } });
    expect(await caughtUp.json()).toEqual([]);
    expect(caughtUp.headers.get("link")).toContain('rel="next"');
    d.createUser({ email: "later@example.com", firstName: "Later", lastName: "User" });
    const later = await fetch(/<([^>]+)>; rel="next"/.exec(caughtUp.headers.get("link")!)![1]!, { headers: { authorization: `SSWS ${token}` } });
    expect(((await later.json()) as any[]).map((e) => e.eventType)).toEqual(["user.lifecycle.create", "user.lifecycle.activate"]);
  });

  it("retries a 429 after X-Rate-Limit-Reset, and surfaces a 500 and a bad token as OktaApiError", async () => {
    emulator.throttle(1, 0);
    emulator.requests.length = 0;
    const user = await client().userApi.getUser({ userId: [...emulator.directory.users.keys()][0]! });
    expect(user.id).toBeDefined();
    const attempts = emulator.requests.filter((r) => r.path.startsWith("/api/v1/users/"));
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.headers["x-okta-retry-count"]).toBe("1");

    emulator.fail(1);
    await expect(client().userApi.getUser({ userId: user.id! })).rejects.toMatchObject({ status: 500, errorCode: "E0000009" });
    await expect(client({ token: "wrong" }).userApi.getUser({ userId: user.id! })).rejects.toMatchObject({ status: 401, errorCode: "E0000011" });
    await expect(client().userApi.getUser({ userId: "00unope" })).rejects.toMatchObject({ status: 404, errorCode: "E0000007" });
  }, 20_000);

  it("issues OAuth tokens to a service app with a private-key client assertion, within its scopes", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    emulator.directory.addServiceApp({ clientId: "0oaservice1", publicKey, allowedScopes: ["okta.users.read", "okta.groups.read"] });
    const oauth = (scopes: string[]) =>
      client({
        token: undefined,
        authorizationMode: "PrivateKey",
        clientId: "0oaservice1",
        scopes,
        privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        keyId: "kid-1",
      });
    const users = await all(oauth(["okta.users.read"]).userApi.listUsers({ limit: 5 } as never));
    expect(users.length).toBeGreaterThan(0);
    const tokenCall = emulator.requests.filter((r) => r.path === "/oauth2/v1/token").at(-1)!;
    expect(tokenCall.method).toBe("POST");
    // A token without okta.logs.read may not read the System Log.
    await expect(all(oauth(["okta.users.read"]).systemLogApi.listLogEvents({ since: new Date(0).toISOString() }))).rejects.toMatchObject({ status: 403 });
    // The SDK hides token-endpoint errors (§3.10): a disallowed scope surfaces only as 401.
    await expect(all(oauth(["okta.apps.read"]).userApi.listUsers({}))).rejects.toMatchObject({ status: 401 });
  });

  it("expires access tokens on the fake clock; the SDK fetches a new one and retries", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    emulator.directory.addServiceApp({ clientId: "0oaservice2", publicKey, allowedScopes: ["okta.users.read"] });
    const c = client({
      token: undefined,
      authorizationMode: "PrivateKey",
      clientId: "0oaservice2",
      scopes: ["okta.users.read"],
      privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    });
    const id = [...emulator.directory.users.keys()][1]!;
    await c.userApi.getUser({ userId: id });
    emulator.directory.advance(3_601_000);
    emulator.requests.length = 0;
    await c.userApi.getUser({ userId: id });
    expect(emulator.requests.map((r) => r.path)).toEqual([`/api/v1/users/${id}`, "/oauth2/v1/token", `/api/v1/users/${id}`]);
  });

  it("tolerates the double slash a trailing-slash orgUrl produces", async () => {
    const users = await all(client({ orgUrl: `${url}/` }).userApi.listUsers({ limit: 3 } as never));
    expect(users.length).toBeGreaterThan(0);
  });
});
