// The Google Directory emulator against the real googleapis client (admin directory_v1), wired as
// idp-apis.md §2.2 says: a per-API rootUrl, and a real JWT client whose Gaxios transporter redirects
// Google's hard-coded token URL to the emulator, so the JWT-bearer exchange itself is exercised.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Gaxios, type GaxiosError } from "gaxios";
import { JWT, OAuth2Client } from "google-auth-library";
import { google, type admin_directory_v1, type admin_reports_v1 } from "googleapis";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import {
  DEFAULT_DELEGATED_SCOPES,
  type GeneratedServiceAccount,
  type GoogleSeed,
  PAGE_TOKEN_LIFETIME_MS,
  SCOPE,
  type StartGoogleEmulatorOptions,
  generateServiceAccount,
  startGoogleEmulator,
} from "./google/index.js";
import { parseUserQuery } from "./google/query.js";

const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";
const READ_SCOPES = [SCOPE.userReadonly, SCOPE.groupReadonly, SCOPE.groupMemberReadonly];
const DAY = 24 * 3600_000;

let account: GeneratedServiceAccount;
let otherKey: GeneratedServiceAccount;
beforeAll(() => {
  account = generateServiceAccount();
  otherKey = generateServiceAccount(account.key.client_email);
});

const BASE_SEED: GoogleSeed = {
  users: [
    { primaryEmail: "admin@example.com", name: { givenName: "Ada", familyName: "Admin" }, isAdmin: true },
    { primaryEmail: "jane.doe@example.com", name: { givenName: "Jane", familyName: "Doe" }, orgUnitPath: "/Engineering" },
  ],
};

async function emulator(options: StartGoogleEmulatorOptions = {}) {
  const started = await startGoogleEmulator({
    serviceAccount: { email: account.key.client_email, publicKeyPem: account.publicKeyPem },
    seed: BASE_SEED,
    ...options,
  });
  onTestFinished(() => started.close());
  return started;
}

/** A JWT client signing with `key`, its token requests redirected to the emulator [§2.2 option 1]. */
function jwtClient(tokenUrl: string, opts: { subject?: string; scopes?: string[]; key?: GeneratedServiceAccount } = {}): JWT {
  const transporter = new Gaxios();
  transporter.interceptors.request.add({
    resolved: async (config) => {
      // A URL object, not a string: gaxios 7's error redactor breaks on string URLs [§2.2].
      if (String(config.url).startsWith(GOOGLE_TOKEN_URL)) config.url = new URL(tokenUrl);
      return config;
    },
  });
  const key = opts.key ?? account;
  return new JWT({
    email: key.key.client_email,
    key: key.key.private_key,
    keyId: key.key.private_key_id,
    scopes: opts.scopes ?? READ_SCOPES,
    subject: opts.subject ?? "admin@example.com",
    // Same class at runtime; TypeScript sees gaxios's ESM and CJS typings as different types.
    transporter: transporter as never,
  });
}

function directory(url: string, auth: JWT | OAuth2Client): admin_directory_v1.Admin {
  // googleapis bundles its own google-auth-library; the top-level JWT works at runtime [§2.2].
  return google.admin({ version: "directory_v1", auth: auth as never, rootUrl: `${url}/` });
}

async function failure(promise: Promise<unknown>): Promise<GaxiosError> {
  try {
    await promise;
  } catch (err) {
    return err as GaxiosError;
  }
  throw new Error("expected the call to fail");
}

const errorBody = (err: GaxiosError) => (err.response?.data as { error: { code: number; message: string; errors: Array<{ reason: string; domain: string }>; status?: string } }).error;

describe("JWT-bearer token exchange", () => {
  it("exchanges a signed assertion for a bearer token and serves the admin's directory", async () => {
    const emu = await emulator();
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));

    const res = await admin.users.list({ customer: "my_customer" });

    expect(res.data.users?.map((u) => u.primaryEmail)).toEqual(["admin@example.com", "jane.doe@example.com"]);
    const tokenRequest = emu.control.requests.find((r) => r.path === "/token");
    expect(tokenRequest?.method).toBe("POST");
    const api = emu.control.apiRequests();
    expect(api).toHaveLength(1);
    expect(api[0]!.headers.authorization).toMatch(/^Bearer ya29\./);
    expect(api[0]!.query).toMatchObject({ customer: "my_customer" });
  });

  it("rejects a subject that is not in the directory with invalid_grant", async () => {
    const emu = await emulator();
    const admin = directory(emu.url, jwtClient(emu.tokenUrl, { subject: "nobody@example.com" }));

    const err = await failure(admin.users.list({ customer: "my_customer" }));

    expect(err.message).toBe("invalid_grant: Invalid email or User ID");
    expect(emu.control.apiRequests()).toHaveLength(0);
  });

  it("rejects scopes domain-wide delegation does not grant with unauthorized_client", async () => {
    const emu = await emulator({
      serviceAccount: { email: account.key.client_email, publicKeyPem: account.publicKeyPem, delegatedScopes: READ_SCOPES },
    });
    const admin = directory(emu.url, jwtClient(emu.tokenUrl, { scopes: [SCOPE.user] }));

    const err = await failure(admin.users.list({ customer: "my_customer" }));

    expect(err.message).toMatch(/^unauthorized_client: Client is unauthorized/);
  });

  it("rejects an assertion signed by a key the service account does not have", async () => {
    const emu = await emulator();
    const admin = directory(emu.url, jwtClient(emu.tokenUrl, { key: otherKey }));

    const err = await failure(admin.users.list({ customer: "my_customer" }));

    expect(err.message).toBe("invalid_grant: Invalid JWT Signature.");
  });

  it("answers 403 forbidden when the impersonated subject is not an admin", async () => {
    const emu = await emulator();
    const admin = directory(emu.url, jwtClient(emu.tokenUrl, { subject: "jane.doe@example.com" }));

    const err = await failure(admin.users.list({ customer: "my_customer" }));

    expect(err.status).toBe(403);
    expect(errorBody(err).errors[0]!.reason).toBe("forbidden");
    expect(errorBody(err).message).toBe("Not Authorized to access this resource/api");
  });

  it("refuses a non-admin subject at the token endpoint when adminSubjectsOnly is set", async () => {
    const emu = await emulator({ adminSubjectsOnly: true });

    const err = await failure(directory(emu.url, jwtClient(emu.tokenUrl, { subject: "jane.doe@example.com" })).users.list({ customer: "my_customer" }));
    const ok = await directory(emu.url, jwtClient(emu.tokenUrl)).users.list({ customer: "my_customer" });

    expect(err.message).toBe("invalid_grant: Invalid email or User ID");
    expect(ok.data.users).toHaveLength(2);
  });

  it("answers 403 insufficientPermissions when the token lacks the group scope", async () => {
    const emu = await emulator();
    const admin = directory(emu.url, jwtClient(emu.tokenUrl, { scopes: [SCOPE.userReadonly] }));

    await expect(admin.users.list({ customer: "my_customer" })).resolves.toBeTruthy();
    const err = await failure(admin.groups.list({ customer: "my_customer" }));

    expect(err.status).toBe(403);
    expect(errorBody(err).errors[0]!.reason).toBe("insufficientPermissions");
  });

  it("expires access tokens on the fake clock with a 401 authError", async () => {
    const emu = await emulator();
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: emu.control.issueToken("admin@example.com", READ_SCOPES), expiry_date: Date.now() + 3600e3 });
    const admin = directory(emu.url, auth);
    await admin.users.list({ customer: "my_customer" });

    emu.control.advanceClock(3600_000);
    const err = await failure(admin.users.list({ customer: "my_customer" }));

    expect(err.status).toBe(401);
    expect(errorBody(err).errors[0]).toMatchObject({ reason: "authError", location: "Authorization" });
  });
});

describe("users.list", () => {
  it("pages 1,203 users to the end at the 500 cap, the last page without nextPageToken", async () => {
    const emu = await emulator({ seed: undefined, generate: { users: 1203, seed: 3, deletedUsers: 4 } });
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));

    const sizes: number[] = [];
    const ids = new Set<string>();
    let pageToken: string | undefined;
    let lastPage: admin_directory_v1.Schema$Users | undefined;
    do {
      const res = await admin.users.list({ customer: "my_customer", maxResults: 500, ...(pageToken ? { pageToken } : {}) });
      sizes.push(res.data.users?.length ?? 0);
      for (const u of res.data.users ?? []) ids.add(u.id!);
      pageToken = res.data.nextPageToken ?? undefined;
      lastPage = res.data;
    } while (pageToken);

    expect(sizes).toEqual([500, 500, 203]);
    expect(ids.size).toBe(1203);
    expect(lastPage && "nextPageToken" in lastPage).toBe(false);
    const defaultPage = await admin.users.list({ customer: "my_customer" });
    expect(defaultPage.data.users).toHaveLength(100);
    const tooMany = await failure(admin.users.list({ customer: "my_customer", maxResults: 501 }));
    expect(tooMany.status).toBe(400);
    expect(errorBody(tooMany).errors[0]!.reason).toBe("invalid");
  });

  it("requires customer or domain, and refuses a domain the account does not own", async () => {
    const emu = await emulator({ domains: ["example.com", "example.org"] });
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));

    const missing = await failure(admin.users.list({}));
    expect(missing.status).toBe(400);
    const foreign = await failure(admin.users.list({ domain: "evil.test" }));
    expect(foreign.status).toBe(403);
    const byDomain = await admin.users.list({ domain: "example.com" });
    expect(byDomain.data.users).toHaveLength(2);
    const otherDomain = await admin.users.list({ domain: "example.org" });
    // An empty list has no `users` key at all [§2.3].
    expect("users" in otherDomain.data).toBe(false);
    expect((otherDomain.headers as unknown as Headers).get("content-type")).toBe(
      "application/json; charset=UTF-8",
    );
  });

  it("applies projections: basic strips customSchemas, custom keeps the masked schemas, full keeps all", async () => {
    const emu = await emulator();
    emu.control.dir.addUser({
      primaryEmail: "sam.schema@example.com",
      name: { givenName: "Sam", familyName: "Schema" },
      customSchemas: { EmployeeInfo: { EmployeeNumber: "1042" }, Badge: { Color: "blue" } },
    });
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));
    const sam = async (params: admin_directory_v1.Params$Resource$Users$List) =>
      (await admin.users.list({ customer: "my_customer", query: "email:sam*", ...params })).data.users![0]!;

    expect((await sam({})).customSchemas).toBeUndefined();
    expect((await sam({ projection: "basic" })).customSchemas).toBeUndefined();
    expect((await sam({ projection: "custom", customFieldMask: "EmployeeInfo" })).customSchemas).toEqual({ EmployeeInfo: { EmployeeNumber: "1042" } });
    expect((await sam({ projection: "full" })).customSchemas).toEqual({ EmployeeInfo: { EmployeeNumber: "1042" }, Badge: { Color: "blue" } });
    const noMask = await failure(admin.users.list({ customer: "my_customer", projection: "custom" }));
    expect(noMask.status).toBe(400);
    const got = await admin.users.get({ userKey: "sam.schema@example.com", projection: "full" });
    expect(Object.keys(got.data.customSchemas ?? {})).toEqual(["EmployeeInfo", "Badge"]);
  });

  it("lists only deleted users, each with deletionTime, when showDeleted is true", async () => {
    const emu = await emulator({
      seed: { ...BASE_SEED, deletedUsers: [{ primaryEmail: "gone@example.com", name: { givenName: "Gone", familyName: "User" }, deletionTime: "2026-11-20T10:00:00.000Z" }] },
    });
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));
    emu.control.dir.deleteUser("jane.doe@example.com");

    const live = await admin.users.list({ customer: "my_customer" });
    const deleted = await admin.users.list({ customer: "my_customer", showDeleted: "true" });

    expect(live.data.users?.map((u) => u.primaryEmail)).toEqual(["admin@example.com"]);
    const byEmail = Object.fromEntries((deleted.data.users ?? []).map((u) => [u.primaryEmail, u.deletionTime]));
    expect(Object.keys(byEmail).sort()).toEqual(["gone@example.com", "jane.doe@example.com"]);
    expect(byEmail["gone@example.com"]).toBe("2026-11-20T10:00:00.000Z");
    expect(byEmail["jane.doe@example.com"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(live.data.users![0]!.deletionTime).toBeUndefined();
  });

  it("filters with query and sorts with orderBy and sortOrder", async () => {
    const emu = await emulator();
    const dir = emu.control.dir;
    dir.addUser({ primaryEmail: "zoe.sales@example.com", name: { givenName: "Zoe", familyName: "Adams" }, orgUnitPath: "/Sales/EMEA" });
    dir.addUser({ primaryEmail: "bob.sales@example.com", name: { givenName: "Bob", familyName: "Young" }, orgUnitPath: "/Sales", suspended: true });
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));
    const emails = async (params: admin_directory_v1.Params$Resource$Users$List) =>
      (await admin.users.list({ customer: "my_customer", ...params })).data.users?.map((u) => u.primaryEmail) ?? [];

    expect(await emails({ query: "orgUnitPath='/Sales'" })).toEqual(["zoe.sales@example.com", "bob.sales@example.com"]);
    expect(await emails({ query: "orgUnitPath='/Sales' isSuspended=false" })).toEqual(["zoe.sales@example.com"]);
    expect(await emails({ query: "isAdmin=true" })).toEqual(["admin@example.com"]);
    expect(await emails({ query: "email:jane*" })).toEqual(["jane.doe@example.com"]);
    expect(await emails({ orderBy: "email" })).toEqual(["admin@example.com", "bob.sales@example.com", "jane.doe@example.com", "zoe.sales@example.com"]);
    expect(await emails({ orderBy: "familyName", sortOrder: "DESCENDING" })).toEqual([
      "bob.sales@example.com",
      "jane.doe@example.com",
      "admin@example.com",
      "zoe.sales@example.com",
    ]);
  });

  it("expires page tokens after 3 fake days with a 400", async () => {
    const emu = await emulator({ seed: undefined, generate: { users: 30, seed: 5 } });
    const first = await directory(emu.url, jwtClient(emu.tokenUrl)).users.list({ customer: "my_customer", maxResults: 10 });
    const pageToken = first.data.nextPageToken!;
    expect(pageToken).toBeTruthy();

    emu.control.advanceClock(2 * DAY);
    // A fresh client: the first one's access token died with the clock jump (1 hour lifetime).
    const second = await directory(emu.url, jwtClient(emu.tokenUrl)).users.list({ customer: "my_customer", maxResults: 10, pageToken });
    expect(second.data.users).toHaveLength(10);
    expect(second.data.users![0]!.id).not.toBe(first.data.users![0]!.id);

    emu.control.advanceClock(PAGE_TOKEN_LIFETIME_MS - 2 * DAY + 60_000);
    const err = await failure(directory(emu.url, jwtClient(emu.tokenUrl)).users.list({ customer: "my_customer", maxResults: 10, pageToken }));
    expect(err.status).toBe(400);
    expect(errorBody(err).errors[0]!.reason).toBe("invalid");
    expect(errorBody(err).message).toBe("Invalid Input: pageToken");
  });

  it("changes a user's etag on every mutation and leaves other users' etags alone", async () => {
    const emu = await emulator();
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));
    const etagOf = async (userKey: string) => (await admin.users.get({ userKey })).data.etag;
    const janeBefore = await etagOf("jane.doe@example.com");
    const adminBefore = await etagOf("admin@example.com");
    const listBefore = (await admin.users.list({ customer: "my_customer" })).data.etag;

    emu.control.dir.suspendUser("jane.doe@example.com");
    const janeSuspended = await admin.users.get({ userKey: "jane.doe@example.com" });
    emu.control.dir.renameUser("jane.doe@example.com", "jane.smith@example.com");
    const janeRenamed = await admin.users.get({ userKey: "jane.doe@example.com" });

    expect(janeSuspended.data.etag).not.toBe(janeBefore);
    expect(janeSuspended.data.suspended).toBe(true);
    expect(janeSuspended.data.suspensionReason).toBe("ADMIN");
    expect(janeRenamed.data.etag).not.toBe(janeSuspended.data.etag);
    expect(janeRenamed.data.id).toBe(janeSuspended.data.id);
    expect(janeRenamed.data.primaryEmail).toBe("jane.smith@example.com");
    expect(await etagOf("admin@example.com")).toBe(adminBefore);
    expect((await admin.users.list({ customer: "my_customer" })).data.etag).not.toBe(listBefore);
    const missing = await failure(admin.users.get({ userKey: "nobody@example.com" }));
    expect(missing.status).toBe(404);
    expect(errorBody(missing).message).toBe("Resource Not Found: userKey");
  });
});

describe("groups and members", () => {
  const NESTED: GoogleSeed = {
    users: [
      ...BASE_SEED.users!,
      { primaryEmail: "ben@example.com", name: { givenName: "Ben", familyName: "Berlin" } },
      { primaryEmail: "cai@example.com", name: { givenName: "Cai", familyName: "Berlin" } },
    ],
    groups: [
      {
        email: "eng@example.com",
        name: "Engineering",
        members: [{ userKey: "jane.doe@example.com", role: "OWNER" }, { groupKey: "eng-berlin@example.com" }, { customer: true }],
      },
      { email: "eng-berlin@example.com", name: "Engineering Berlin", members: [{ userKey: "ben@example.com" }, { userKey: "cai@example.com", role: "MANAGER" }] },
    ],
  };

  it("lists USER, GROUP and CUSTOMER members and flattens nested groups on request", async () => {
    const emu = await emulator({ seed: NESTED });
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));

    const direct = await admin.members.list({ groupKey: "eng@example.com" });
    const derived = await admin.members.list({ groupKey: "eng@example.com", includeDerivedMembership: true });
    const owners = await admin.members.list({ groupKey: "eng@example.com", roles: "OWNER" });
    const group = await admin.groups.get({ groupKey: "eng@example.com" });

    expect(direct.data.members?.map((m) => [m.type, m.email, m.role])).toEqual([
      ["USER", "jane.doe@example.com", "OWNER"],
      ["GROUP", "eng-berlin@example.com", "MEMBER"],
      ["CUSTOMER", undefined, "MEMBER"],
    ]);
    const customer = direct.data.members![2]!;
    expect(customer.id).toBe(emu.control.dir.customerId);
    expect("email" in customer).toBe(false);
    expect(direct.data.members![0]!.status).toBe("ACTIVE");
    expect(derived.data.members?.map((m) => m.email).filter(Boolean)).toEqual([
      "jane.doe@example.com",
      "eng-berlin@example.com",
      "ben@example.com",
      "cai@example.com",
    ]);
    expect(owners.data.members?.map((m) => m.email)).toEqual(["jane.doe@example.com"]);
    expect(group.data.directMembersCount).toBe("3");
    const notFound = await failure(admin.members.list({ groupKey: "nope@example.com" }));
    expect(notFound.status).toBe(404);
  });

  it("pages groups and members at the 200 cap", async () => {
    const emu = await emulator({ seed: undefined, generate: { users: 260, groups: 450, membershipsPerUser: 0, seed: 9 } });
    const dir = emu.control.dir;
    const big = dir.addGroup({ email: "big@example.com", name: "Big" });
    for (const user of [...dir.liveUsers()].slice(0, 250)) dir.addMember(big.id, { userKey: user.id });
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));

    const groupPages: number[] = [];
    let pageToken: string | undefined;
    do {
      const res = await admin.groups.list({ customer: "my_customer", maxResults: 200, ...(pageToken ? { pageToken } : {}) });
      groupPages.push(res.data.groups?.length ?? 0);
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    const memberPages: number[] = [];
    do {
      const res = await admin.members.list({ groupKey: "big@example.com", ...(pageToken ? { pageToken } : {}) });
      memberPages.push(res.data.members?.length ?? 0);
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);

    expect(groupPages).toEqual([200, 200, 51]);
    expect(memberPages).toEqual([200, 50]);
    const over = await failure(admin.groups.list({ customer: "my_customer", maxResults: 201 }));
    expect(over.status).toBe(400);
  });

  it("changes the group etag and member status when memberships and users change", async () => {
    const emu = await emulator({ seed: NESTED });
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));
    const before = (await admin.groups.get({ groupKey: "eng-berlin@example.com" })).data.etag;

    emu.control.dir.removeMember("eng-berlin@example.com", "ben@example.com");
    emu.control.dir.suspendUser("cai@example.com");
    const after = await admin.groups.get({ groupKey: "eng-berlin@example.com" });
    const members = await admin.members.list({ groupKey: "eng-berlin@example.com" });

    expect(after.data.etag).not.toBe(before);
    expect(after.data.directMembersCount).toBe("1");
    expect(members.data.members?.map((m) => [m.email, m.status])).toEqual([["cai@example.com", "SUSPENDED"]]);
    const janesGroups = await admin.groups.list({ userKey: "jane.doe@example.com" });
    expect(janesGroups.data.groups?.map((g) => g.email)).toEqual(["eng@example.com"]);
  });
});

describe("throttling", () => {
  it("surfaces a 403 userRateLimitExceeded with Google's error body and does not retry it", async () => {
    const emu = await emulator();
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));
    emu.control.throttle("userRateLimitExceeded", 1);

    const err = await failure(admin.users.list({ customer: "my_customer" }));

    expect(err.status).toBe(403);
    expect(err.message).toMatch(/^Quota exceeded for quota metric 'Queries'/);
    expect(errorBody(err)).toMatchObject({ code: 403, errors: [{ reason: "userRateLimitExceeded", domain: "usageLimits" }] });
    expect(emu.control.apiRequests()).toHaveLength(1);
    // The queue is spent: the next call goes through.
    await expect(admin.users.list({ customer: "my_customer" })).resolves.toBeTruthy();
  });

  it("answers 403 quotaExceeded on the queued path only", async () => {
    const emu = await emulator({ seed: { ...BASE_SEED, groups: [{ email: "g@example.com", name: "G" }] } });
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));
    emu.control.throttle("quotaExceeded", 1, { path: "/members" });

    await expect(admin.users.list({ customer: "my_customer" })).resolves.toBeTruthy();
    const err = await failure(admin.members.list({ groupKey: "g@example.com" }));

    expect(err.status).toBe(403);
    expect(errorBody(err).errors[0]!.reason).toBe("quotaExceeded");
  });

  it("answers 429 rateLimitExceeded without Retry-After, and the SDK's own retry gets through", async () => {
    const emu = await emulator();
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));
    emu.control.throttle("rateLimitExceeded", 1);

    const err = await failure(admin.users.list({ customer: "my_customer" }, { retry: false }));
    expect(err.status).toBe(429);
    expect(errorBody(err)).toMatchObject({ status: "RESOURCE_EXHAUSTED", errors: [{ reason: "rateLimitExceeded" }] });
    expect(err.response?.headers.get("retry-after")).toBeNull();

    emu.control.clearRequests();
    emu.control.throttle("rateLimitExceeded", 1);
    const res = await admin.users.list({ customer: "my_customer" });
    expect(res.data.users).toHaveLength(2);
    expect(emu.control.apiRequests()).toHaveLength(2);
  });

  it("answers 503 backendError, which gaxios retries", async () => {
    const emu = await emulator();
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));
    emu.control.throttle("backendError", 2);

    const res = await admin.users.list({ customer: "my_customer" });

    expect(res.data.users).toHaveLength(2);
    expect(emu.control.apiRequests().length).toBe(3);
    expect(emu.control.pendingFailures()).toBe(0);
  });
});

describe("users.watch", () => {
  it("records channels, notifies with X-Goog headers after a sync message, and stops them", async () => {
    const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
    const address = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const emu = await emulator();
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));

    const channel = await admin.users.watch({ customer: "my_customer", event: "update", requestBody: { id: "ch-1", type: "web_hook", address, token: "secret-1" } });
    expect(channel.data).toMatchObject({ kind: "api#channel", id: "ch-1", token: "secret-1" });
    expect(channel.data.resourceUri).toBe(`${emu.url}/admin/directory/v1/users?customer=my_customer&event=update&alt=json`);

    emu.control.dir.suspendUser("jane.doe@example.com");
    await emu.control.notify("update", "jane.doe@example.com");
    expect(received.map((r) => r.headers["x-goog-resource-state"])).toEqual(["sync", "update"]);
    expect(received[1]!.headers).toMatchObject({ "x-goog-channel-id": "ch-1", "x-goog-channel-token": "secret-1", "x-goog-message-number": "2" });
    expect(JSON.parse(received[1]!.body)).toMatchObject({ kind: "admin#directory#user", primaryEmail: "jane.doe@example.com" });
    expect(await emu.control.notify("add", "jane.doe@example.com")).toEqual([]);

    await admin.channels.stop({ requestBody: { id: "ch-1", resourceId: channel.data.resourceId! } });
    expect(await emu.control.notify("update", "jane.doe@example.com")).toEqual([]);
    expect(emu.control.requests.some((r) => r.path === "/admin/directory_v1/channels/stop")).toBe(true);
  });

  it("expires channels on the fake clock", async () => {
    const emu = await emulator();
    const admin = directory(emu.url, jwtClient(emu.tokenUrl));
    await admin.users.watch({ customer: "my_customer", requestBody: { id: "ch-2", type: "web_hook", address: "http://127.0.0.1:9/none" } });
    expect(emu.control.channels.live()).toHaveLength(1);

    emu.control.advanceClock(7 * 3600_000);

    expect(emu.control.channels.live()).toHaveLength(0);
  });
});

describe("reports activity", () => {
  it("serves admin audit events newest first, filtered by time window and event name, after the configured lag", async () => {
    const emu = await emulator({ reportsLagMs: 10 * 60_000 });
    const auth = jwtClient(emu.tokenUrl, { scopes: [SCOPE.reportsAuditReadonly] });
    const reports = google.admin({ version: "reports_v1", auth: auth as never, rootUrl: `${emu.url}/` });
    const since = new Date(emu.control.now()).toISOString();
    emu.control.dir.suspendUser("jane.doe@example.com");
    emu.control.advanceClock(60_000);
    const group = emu.control.dir.addGroup({ email: "new@example.com", name: "New" });
    emu.control.dir.addMember(group.id, { userKey: "jane.doe@example.com" });

    const early = await reports.activities.list({ userKey: "all", applicationName: "admin", startTime: since });
    expect("items" in early.data).toBe(false);

    emu.control.advanceClock(10 * 60_000);
    const all = await directoryReports(reports, since);
    const memberAdds = await reports.activities.list({ userKey: "all", applicationName: "admin", startTime: since, eventName: "ADD_GROUP_MEMBER" });

    expect(all.map((a) => a.events?.[0]?.name)).toEqual(["ADD_GROUP_MEMBER", "CREATE_GROUP", "SUSPEND_USER"]);
    expect(all[2]!.events![0]!.parameters).toEqual([{ name: "USER_EMAIL", value: "jane.doe@example.com" }]);
    expect(all[0]!.id).toMatchObject({ applicationName: "admin", customerId: emu.control.dir.customerId });
    expect(memberAdds.data.items?.[0]?.events?.[0]?.parameters).toEqual([
      { name: "USER_EMAIL", value: "jane.doe@example.com" },
      { name: "GROUP_EMAIL", value: "new@example.com" },
    ]);
  });
});

async function directoryReports(reports: admin_reports_v1.Admin, startTime: string) {
  const res = await reports.activities.list({ userKey: "all", applicationName: "admin", startTime });
  return res.data.items ?? [];
}

describe("standalone server and HTTP control surface", () => {
  it("starts with a generated service account whose key the token endpoint verifies, and obeys /__emulator routes", async () => {
    const started = await startGoogleEmulator({ createServiceAccount: true, generate: { users: 120, seed: 11 } });
    onTestFinished(() => started.close());
    const sa = started.serviceAccount!;
    const admin = directory(started.url, jwtClient(started.tokenUrl, { key: sa, subject: started.generated!.adminEmail }));
    const post = (path: string, body: unknown) =>
      fetch(`${started.url}/__emulator${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

    const first = await admin.users.list({ customer: "my_customer", maxResults: 500 });
    expect(first.data.users).toHaveLength(120);
    const victim = first.data.users![5]!;
    expect((await post(`/users/${victim.id}/suspend`, {})).status).toBe(200);
    expect((await post("/throttle", { reason: "userRateLimitExceeded", count: 1 })).status).toBe(200);
    const throttled = await failure(admin.users.get({ userKey: victim.id! }));
    const after = await admin.users.get({ userKey: victim.id! });
    const log = (await (await fetch(`${started.url}/__emulator/requests`)).json()) as Array<{ path: string; query: Record<string, string> }>;
    const rejected = await post("/users/nobody@example.com/suspend", {});

    expect(errorBody(throttled).errors[0]!.reason).toBe("userRateLimitExceeded");
    expect(after.data.suspended).toBe(true);
    expect(after.data.etag).not.toBe(victim.etag);
    expect(log.filter((r) => r.path === "/admin/directory/v1/users")[0]!.query.maxResults).toBe("500");
    expect(log.some((r) => r.path.startsWith("/__emulator"))).toBe(false);
    expect(rejected.status).toBe(400);
    expect(sa.key.type).toBe("service_account");
  });
});

describe("users.list query language", () => {
  const jane = {
    id: "1",
    seq: 1,
    version: 1,
    fields: {
      primaryEmail: "jane.doe@example.com",
      name: { givenName: "Jane", familyName: "Doe" },
      orgUnitPath: "/Sales/EMEA",
      aliases: ["jd@example.com"],
      externalIds: [{ value: "E1042", type: "organization" }],
      customSchemas: { EmployeeInfo: { EmployeeNumber: "1042" } },
    },
  };
  it.each([
    ["orgUnitPath='/Sales'", true],
    ["orgUnitPath=/Sal", false],
    ["isSuspended=false isAdmin=false", true],
    ["isAdmin=true", false],
    ["email:jane*", true],
    ["email:jd*", true],
    ["email:john*", false],
    ["email=jane.doe@example.com", true],
    ["name:'Jane Doe'", true],
    ["givenName:Ja*", true],
    ["externalId:E1042", true],
    ["EmployeeInfo.EmployeeNumber=1042", true],
    ["EmployeeInfo.EmployeeNumber=9", false],
    ["doe", true],
  ])("%s matches: %s", (query, expected) => {
    const parsed = parseUserQuery(query);
    expect(parsed.ok && parsed.value(jane)).toBe(expected);
  });

  it.each(["isSuspended=maybe", "updated>2026-01-01"])("rejects %s", (query) => {
    expect(parseUserQuery(query).ok).toBe(false);
  });

  it("answers an unsupported query with 400 invalid", async () => {
    const emu = await emulator();
    const err = await failure(directory(emu.url, jwtClient(emu.tokenUrl)).users.list({ customer: "my_customer", query: "isSuspended=maybe" }));
    expect(err.status).toBe(400);
    expect(errorBody(err).message).toBe("Invalid Input: query");
  });
});

describe("generated directories", () => {
  it("generates the same directory for the same seed", async () => {
    const a = await emulator({ seed: undefined, generate: { users: 300, seed: 42 } });
    const b = await emulator({ seed: undefined, generate: { users: 300, seed: 42 } });
    const snapshot = (emu: typeof a) => [...emu.control.dir.liveUsers()].map((u) => [u.id, u.fields.primaryEmail, u.fields.suspended ?? false]);

    expect(snapshot(a)).toEqual(snapshot(b));
    expect(a.generated).toEqual(b.generated);
    expect(a.generated!.groups).toBe(6);
    expect(DEFAULT_DELEGATED_SCOPES).toContain(SCOPE.userReadonly);
  });
});
