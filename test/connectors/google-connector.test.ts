// The Google Workspace connector, running the real googleapis client (and the real JWT-bearer token
// exchange) against the Google Directory emulator.
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { GoogleConnector, GoogleCredentials, GoogleSettings, type GoogleConnectorOptions } from "../../connectors/google/index.js";
import { CredentialsError, isRecordPage, type SyncItem, type VendorRecord } from "../../connectors/types.js";
import { normalizeGoogleGroup, normalizeGoogleUser } from "../../src/normalize/google-admin.js";
import {
  type GeneratedServiceAccount,
  type GoogleSeed,
  type GoogleUserSeed,
  PAGE_TOKEN_LIFETIME_MS,
  SCOPE,
  type StartGoogleEmulatorOptions,
  type ThrottleReason,
  generateServiceAccount,
  startGoogleEmulator,
} from "../emulators/google/index.js";

const USERS_PATH = "/admin/directory/v1/users";
const GROUPS_PATH = "/admin/directory/v1/groups";

let account: GeneratedServiceAccount;
let strangerKey: GeneratedServiceAccount;
beforeAll(() => {
  account = generateServiceAccount();
  // Same service account e-mail, another key pair: a rotated-away or foreign key.
  strangerKey = generateServiceAccount(account.key.client_email);
});

const ADMIN: GoogleUserSeed = { primaryEmail: "admin@example.com", name: { givenName: "Ada", familyName: "Admin" }, isAdmin: true };
const plainUser = (i: number): GoogleUserSeed => ({
  primaryEmail: `user${String(i).padStart(4, "0")}@example.com`,
  name: { givenName: `Given${i}`, familyName: `Family${i}` },
});

async function emulator(seed: GoogleSeed, options: StartGoogleEmulatorOptions = {}) {
  const started = await startGoogleEmulator({
    serviceAccount: { email: account.key.client_email, publicKeyPem: account.publicKeyPem },
    seed,
    ...options,
  });
  onTestFinished(() => started.close());
  return started;
}

type Emu = Awaited<ReturnType<typeof emulator>>;

interface Harness {
  connector: GoogleConnector;
  sleeps: number[];
  restarts: string[];
}

function connect(emu: Emu, overrides: { admin_email?: string; key?: GeneratedServiceAccount; customer_id?: string; api_root?: string } = {}, options: Partial<GoogleConnectorOptions> = {}): Harness {
  const sleeps: number[] = [];
  const restarts: string[] = [];
  const key = (overrides.key ?? account).key;
  // Through the zod schemas, as the directory's stored settings would be read.
  const credentials = GoogleCredentials.parse({
    // The key as an operator pastes it: the whole JSON file as text.
    service_account_key: JSON.stringify(key),
    admin_email: overrides.admin_email ?? "admin@example.com",
    ...(overrides.customer_id ? { customer_id: overrides.customer_id } : {}),
  });
  const settings = GoogleSettings.parse({ api_root: overrides.api_root ?? emu.url, token_url: emu.tokenUrl });
  const connector = new GoogleConnector({
    credentials,
    settings,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    // The top of the jitter range, so the exponential envelope shows in the delays.
    random: () => 0.999,
    onRestart: ({ listing }) => restarts.push(listing),
    ...options,
  });
  return { connector, sleeps, restarts };
}

async function drain(stream: AsyncIterable<SyncItem>): Promise<{ pages: VendorRecord[][]; records: VendorRecord[]; cursors: string[] }> {
  const pages: VendorRecord[][] = [];
  const cursors: string[] = [];
  for await (const item of stream) {
    if (isRecordPage(item)) pages.push(item);
    else cursors.push(item.cursor);
  }
  return { pages, records: pages.flat(), cursors };
}

const signal = () => new AbortController().signal;
const ofKind = <K extends VendorRecord["kind"]>(records: VendorRecord[], kind: K) => records.filter((r): r is Extract<VendorRecord, { kind: K }> => r.kind === kind);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}

describe("Google connector snapshot", () => {
  it("streams every user, group and member page by page at the API's caps, and ends with no cursor", async () => {
    const users = [ADMIN, ...Array.from({ length: 1100 }, (_, i) => plainUser(i))];
    const groups = Array.from({ length: 201 }, (_, i) => ({ email: `team${i}@example.com`, name: `Team ${i}` }));
    // One group with more members than a page holds.
    const big = { email: "big@example.com", name: "Big", members: Array.from({ length: 450 }, (_, i) => ({ userKey: plainUser(i).primaryEmail })) };
    const emu = await emulator({ users, groups: [...groups, big] });
    const { connector } = connect(emu);

    const { pages, records, cursors } = await drain(connector.snapshot(signal()));

    expect(ofKind(records, "user")).toHaveLength(1101);
    expect(new Set(ofKind(records, "user").map((u) => u.id)).size).toBe(1101);
    expect(ofKind(records, "group")).toHaveLength(202);
    const bigId = ofKind(records, "group").find((g) => g.raw.email === "big@example.com")!.id;
    const memberships = ofKind(records, "membership");
    expect(memberships).toHaveLength(450);
    expect(memberships.every((m) => m.groupId === bigId)).toBe(true);
    expect(cursors).toEqual([]);
    // Users come before the memberships that name them, and no page outgrows one API page.
    expect(records.findIndex((r) => r.kind !== "user")).toBe(1101);
    expect(Math.max(...pages.map((p) => p.length))).toBeLessThanOrEqual(500);

    const userCalls = emu.control.apiRequests(USERS_PATH);
    expect(userCalls).toHaveLength(3);
    for (const call of userCalls) expect(call.query).toMatchObject({ customer: "my_customer", maxResults: "500", projection: "full" });
    expect(userCalls[2]!.query.pageToken).toBeTruthy();
    const groupCalls = emu.control.apiRequests(GROUPS_PATH).filter((r) => r.path === GROUPS_PATH);
    expect(groupCalls).toHaveLength(2);
    for (const call of groupCalls) expect(call.query).toMatchObject({ customer: "my_customer", maxResults: "200" });
    const memberCalls = emu.control.apiRequests(GROUPS_PATH).filter((r) => r.path.endsWith("/members"));
    // One call per group, three for the 450-member group.
    expect(memberCalls).toHaveLength(201 + 3);
    for (const call of memberCalls) expect(call.query).toMatchObject({ maxResults: "200", includeDerivedMembership: "true" });
    // One token exchange for the whole scan.
    expect(emu.control.requests.filter((r) => r.path === "/token")).toHaveLength(1);
  });

  it("lists suspended and archived users with the others, and normalizes them inactive", async () => {
    const emu = await emulator({
      users: [
        ADMIN,
        { primaryEmail: "sus@example.com", name: { givenName: "Sus", familyName: "Pended" }, suspended: true, suspensionReason: "ADMIN" },
        { primaryEmail: "arch@example.com", name: { givenName: "Arch", familyName: "Ived" }, archived: true },
        { primaryEmail: "live@example.com", name: { givenName: "Live", familyName: "User" } },
      ],
    });
    const { records } = await drain(connect(emu).connector.snapshot(signal()));

    const states = Object.fromEntries(ofKind(records, "user").map((u) => [u.raw.primaryEmail, normalizeGoogleUser(u.id, u.raw).state]));
    expect(states).toEqual({ "admin@example.com": "active", "sus@example.com": "inactive", "arch@example.com": "inactive", "live@example.com": "active" });
    // One listing: no second query for suspended users.
    expect(emu.control.apiRequests(USERS_PATH)).toHaveLength(1);
    expect(emu.control.apiRequests(USERS_PATH)[0]!.query.query).toBeUndefined();
  });

  it("flattens nested groups into user memberships and skips the whole-account CUSTOMER member", async () => {
    const emu = await emulator({
      users: [ADMIN, plainUser(1), plainUser(2), plainUser(3), plainUser(4)],
      groups: [
        {
          email: "eng@example.com",
          name: "Engineering",
          members: [{ userKey: plainUser(1).primaryEmail, role: "OWNER" }, { groupKey: "berlin@example.com" }, { customer: true }, { externalEmail: "guest@partner.test" }],
        },
        // user1 is reached both directly and through berlin; user3 only through platform, two levels down.
        { email: "berlin@example.com", name: "Berlin", members: [{ userKey: plainUser(1).primaryEmail }, { userKey: plainUser(2).primaryEmail }, { groupKey: "platform@example.com" }] },
        { email: "platform@example.com", name: "Platform", members: [{ userKey: plainUser(3).primaryEmail }] },
        { email: "all@example.com", name: "Everyone", members: [{ customer: true }] },
      ],
    });
    const { records } = await drain(connect(emu).connector.snapshot(signal()));

    const idOf = new Map(ofKind(records, "user").map((u) => [String(u.raw.primaryEmail), u.id]));
    const groupId = new Map(ofKind(records, "group").map((g) => [String(g.raw.email), g.id]));
    const membersOf = (email: string) =>
      ofKind(records, "membership")
        .filter((m) => m.groupId === groupId.get(email))
        .map((m) => m.userId)
        .sort();
    const ids = (...n: number[]) => n.map((i) => idOf.get(plainUser(i).primaryEmail)!).sort();

    expect(membersOf("eng@example.com")).toEqual(ids(1, 2, 3));
    expect(membersOf("berlin@example.com")).toEqual(ids(1, 2, 3));
    expect(membersOf("platform@example.com")).toEqual(ids(3));
    // Only a CUSTOMER member: nothing, rather than every user of the account.
    expect(membersOf("all@example.com")).toEqual([]);
    // Every membership names a listed user: no group ids, customer id or external addresses leak in.
    const userIds = new Set(idOf.values());
    expect(ofKind(records, "membership").every((m) => userIds.has(m.userId))).toBe(true);
  });
});

describe("Google connector retries", () => {
  const throttled: Array<[ThrottleReason, number]> = [
    ["userRateLimitExceeded", 403],
    ["rateLimitExceeded", 403],
    ["quotaExceeded", 403],
    ["rateLimitExceeded", 429],
    ["backendError", 503],
  ];

  it.each(throttled)("retries a %s %i with exponential backoff and full jitter", async (reason, status) => {
    const emu = await emulator({ users: [ADMIN, plainUser(1)], groups: [{ email: "g@example.com", name: "G", members: [{ userKey: plainUser(1).primaryEmail }] }] });
    emu.control.throttle(reason, 3, { status, path: "/members" });
    const { connector, sleeps } = connect(emu);

    const { records } = await drain(connector.snapshot(signal()));

    expect(ofKind(records, "membership")).toHaveLength(1);
    // Three refusals, then the answer: four requests, no more.
    expect(emu.control.apiRequests(GROUPS_PATH).filter((r) => r.path.endsWith("/members"))).toHaveLength(4);
    expect(emu.control.pendingFailures()).toBe(0);
    // Full jitter under a doubling ceiling (1 s, 2 s, 4 s); random() = 0.999 sits at the top of each.
    expect(sleeps).toHaveLength(3);
    expect(sleeps.map((ms) => Math.round(ms / 1000))).toEqual([1, 2, 4]);
  });

  it("waits a random share of the ceiling, not the ceiling itself", async () => {
    const emu = await emulator({ users: [ADMIN] });
    emu.control.throttle("userRateLimitExceeded", 2, { path: "/users" });
    const { connector, sleeps } = connect(emu, {}, { random: () => 0.25 });

    await drain(connector.snapshot(signal()));

    expect(sleeps).toEqual([250, 500]);
  });

  it("gives up after a bounded number of attempts instead of hammering the API", async () => {
    const emu = await emulator({ users: [ADMIN] });
    emu.control.throttle("backendError", 50, { path: "/users" });
    const { connector, sleeps } = connect(emu);

    const error = await rejection(drain(connector.snapshot(signal())));

    expect((error as { status?: number }).status).toBe(503);
    expect(emu.control.apiRequests(USERS_PATH)).toHaveLength(6);
    expect(sleeps).toHaveLength(5);
    // The ceiling doubles each time and stops at 32 s.
    expect(sleeps.every((ms, i) => ms <= Math.min(32_000, 1000 * 2 ** i))).toBe(true);
  });

  it("backs off on a connection failure too, and then reports it as an outage, not bad credentials", async () => {
    const emu = await emulator({ users: [ADMIN] });
    // Port 9 (discard) on loopback: nothing listens, every call is refused.
    const { connector, sleeps } = connect(emu, { api_root: "http://127.0.0.1:9" });

    const error = await rejection(drain(connector.snapshot(signal())));

    expect(error).not.toBeInstanceOf(CredentialsError);
    expect(sleeps).toHaveLength(5);
  });

  it("fails at once on 403 forbidden, with a reason the admin can act on", async () => {
    // A real user but not an admin: Google issues the token, then refuses every read (§2.1).
    const emu = await emulator({ users: [ADMIN, plainUser(1)] });
    const { connector, sleeps } = connect(emu, { admin_email: plainUser(1).primaryEmail });

    const error = await rejection(drain(connector.snapshot(signal())));

    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).reason).toMatch(/403 forbidden.*must be a Workspace admin/);
    expect(emu.control.apiRequests()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("does not retry a 404", async () => {
    const emu = await emulator({ users: [ADMIN, plainUser(1)], groups: [{ email: "g@example.com", name: "G" }] });
    const { connector, sleeps } = connect(emu);
    const stream = connector.snapshot(signal())[Symbol.asyncIterator]();
    await stream.next(); // users
    await stream.next(); // groups
    // The group vanishes between the group listing and its member listing.
    emu.control.dir.deleteGroup("g@example.com");

    const error = await rejection(stream.next());

    expect((error as { status?: number }).status).toBe(404);
    expect(emu.control.apiRequests(GROUPS_PATH).filter((r) => r.path.endsWith("/members"))).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

describe("Google connector cancellation", () => {
  it("stops between pages when the run is aborted", async () => {
    const emu = await emulator({ users: [ADMIN, ...Array.from({ length: 600 }, (_, i) => plainUser(i))] });
    const controller = new AbortController();
    const stream = connect(emu).connector.snapshot(controller.signal)[Symbol.asyncIterator]();
    expect((await stream.next()).done).toBe(false);

    controller.abort(new Error("run cancelled"));

    await expect(stream.next()).rejects.toThrow("run cancelled");
    expect(emu.control.apiRequests(USERS_PATH)).toHaveLength(1);
  });
});

describe("Google connector page tokens", () => {
  it("restarts a listing whose page token expired mid-scan, and still lists every user", async () => {
    const users = [ADMIN, ...Array.from({ length: 1100 }, (_, i) => plainUser(i))];
    const emu = await emulator({ users });
    const { connector, restarts } = connect(emu);
    const seen = new Set<string>();
    let pagesRead = 0;

    for await (const item of connector.snapshot(signal())) {
      if (!isRecordPage(item)) continue;
      for (const r of ofKind(item, "user")) seen.add(r.id);
      // A scan paused longer than a page token lives (3 days), after its first page.
      if (++pagesRead === 1) emu.control.advanceClock(PAGE_TOKEN_LIFETIME_MS + 60_000);
    }

    expect(restarts).toEqual(["users"]);
    expect(seen.size).toBe(1101);
    const calls = emu.control.apiRequests(USERS_PATH);
    // page 1, page 2 refused (its access token died too and was renewed first), then 1, 2, 3 again.
    expect(calls.map((c) => (c.query.pageToken ? "next" : "first"))).toEqual(["first", "next", "next", "first", "next", "next"]);
    expect(emu.control.requests.filter((r) => r.path === "/token")).toHaveLength(2);
  });
});

describe("Google connector check", () => {
  it("passes with one token request and one users.list of a single user", async () => {
    const emu = await emulator({ users: [ADMIN, plainUser(1)] });

    await connect(emu).connector.check(signal());

    expect(emu.control.requests.filter((r) => r.path === "/token")).toHaveLength(1);
    const api = emu.control.apiRequests();
    expect(api).toHaveLength(1);
    expect(api[0]!.path).toBe(USERS_PATH);
    expect(api[0]!.query).toMatchObject({ customer: "my_customer", maxResults: "1" });
  });

  it("uses the given customer id instead of my_customer", async () => {
    const emu = await emulator({ users: [ADMIN] });

    await connect(emu, { customer_id: "C03az79cb" }).connector.check(signal());

    expect(emu.control.apiRequests()[0]!.query.customer).toBe("C03az79cb");
  });

  it("says domain-wide delegation is missing when Google answers unauthorized_client", async () => {
    const emu = await emulator(
      { users: [ADMIN] },
      // Delegation granted for users only: the group scopes the connector asks for are refused.
      { serviceAccount: { email: account.key.client_email, publicKeyPem: account.publicKeyPem, delegatedScopes: [SCOPE.userReadonly] } },
    );

    const error = await rejection(connect(emu).connector.check(signal()));

    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).reason).toMatch(/unauthorized_client.*domain-wide delegation is not granted/);
    expect((error as CredentialsError).reason).toContain(SCOPE.groupMemberReadonly);
    expect(emu.control.apiRequests()).toHaveLength(0);
  });

  it("points at the admin subject when Google answers invalid_grant for an unknown user", async () => {
    const emu = await emulator({ users: [ADMIN] });

    const error = await rejection(connect(emu, { admin_email: "nobody@example.com" }).connector.check(signal()));

    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).reason).toMatch(/invalid_grant: Invalid email or User ID.*admin_email/);
    expect(emu.control.apiRequests()).toHaveLength(0);
  });

  it("points at the key when the signature does not match the service account", async () => {
    const emu = await emulator({ users: [ADMIN] });

    const error = await rejection(connect(emu, { key: strangerKey }).connector.check(signal()));

    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).reason).toMatch(/invalid_grant: Invalid JWT Signature.*service account key/);
  });

  it("says the private key is unusable when it is not a key", async () => {
    const emu = await emulator({ users: [ADMIN] });
    const broken = { ...account, key: { ...account.key, private_key: "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n" } };

    const error = await rejection(connect(emu, { key: broken }).connector.check(signal()));

    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).reason).toMatch(/private key could not be used/);
    expect(emu.control.requests).toHaveLength(0);
  });

  it("says the subject must be an admin when the read is forbidden", async () => {
    const emu = await emulator({ users: [ADMIN, plainUser(1)] });

    const error = await rejection(connect(emu, { admin_email: plainUser(1).primaryEmail }).connector.check(signal()));

    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).reason).toMatch(/403 forbidden.*must be a Workspace admin/);
    expect(emu.control.apiRequests()).toHaveLength(1);
  });
});

describe("Google settings", () => {
  it("defaults to Google's endpoints and refuses an API root with a path", () => {
    expect(GoogleSettings.parse({})).toEqual({ api_root: "https://admin.googleapis.com/", token_url: "https://oauth2.googleapis.com/token" });
    expect(GoogleSettings.safeParse({ api_root: "http://127.0.0.1:1234/prefix" }).success).toBe(false);
  });

  it("accepts the key as text or object, defaults the customer, and refuses a key without a private key", () => {
    const key = { client_email: "sa@p.iam.gserviceaccount.com", private_key: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n", private_key_id: "abc" };
    const parsed = GoogleCredentials.parse({ service_account_key: JSON.stringify(key), admin_email: "a@example.com" });
    expect(parsed.customer_id).toBe("my_customer");
    expect(parsed.service_account_key).toEqual(key);
    expect(GoogleCredentials.parse({ service_account_key: key, admin_email: "a@example.com" }).service_account_key.client_email).toBe(key.client_email);
    const bad = GoogleCredentials.safeParse({ service_account_key: { ...key, private_key: "nope" }, admin_email: "a@example.com" });
    expect(bad.success).toBe(false);
  });
});

describe("Google normalizer", () => {
  it("maps a Google user to the canonical fields", async () => {
    const emu = await emulator({
      users: [
        ADMIN,
        {
          primaryEmail: "jane.doe@example.com",
          name: { givenName: "Jane", familyName: "Doe" },
          emails: [{ address: "jd@example.com", type: "work" }, { address: "jane.doe@example.com", primary: true }, { address: "jane@home.test", type: "home" }],
          organizations: [
            { title: "Intern", department: "Old", costCenter: "CC-1" },
            { title: "Engineer", primary: true, department: "R&D", costCenter: "CC-4711" },
          ],
          externalIds: [{ value: "X-9", type: "custom", customType: "badge" }, { value: "E1042", type: "organization" }],
          relations: [{ value: "assistant@example.com", type: "assistant" }, { value: "boss@example.com", type: "manager" }],
          orgUnitPath: "/Engineering",
        },
      ],
    });
    // Through the connector, so the record is what googleapis hands back (fullName included).
    const { records } = await drain(connect(emu).connector.snapshot(signal()));
    const jane = ofKind(records, "user").find((u) => u.raw.primaryEmail === "jane.doe@example.com")!;

    const user = normalizeGoogleUser(jane.id, jane.raw);

    expect(user).toMatchObject({
      idp_id: jane.id,
      first_name: "Jane",
      last_name: "Doe",
      name: "Jane Doe",
      email: "jane.doe@example.com",
      username: "jane.doe@example.com",
      job_title: "Engineer",
      state: "active",
      custom_attributes: { department: "R&D", cost_center: "CC-4711", employee_number: "E1042", manager_email: "boss@example.com", org_unit_path: "/Engineering" },
    });
    expect(user.emails).toEqual([
      { primary: true, type: "work", value: "jane.doe@example.com" },
      { primary: false, type: "work", value: "jd@example.com" },
      { primary: false, type: "home", value: "jane@home.test" },
    ]);
    // The record as the SDK returned it, less the sign-in bookkeeping that is not an attribute (presets.ts).
    const { etag, lastLoginTime: _signIn, ...attributes } = jane.raw as Record<string, unknown>;
    expect(etag).toBeTypeOf("string");
    expect(user.raw_attributes).toEqual(attributes);
    expect(user.raw_attributes).not.toHaveProperty("lastLoginTime");
  });

  it("leaves out what a sparse user lacks and falls back to the first organization", () => {
    const user = normalizeGoogleUser("1", {
      primaryEmail: "s@example.com",
      name: { givenName: "S", familyName: "P" },
      organizations: [{ title: "Analyst" }],
      suspended: false,
      archived: false,
    });
    expect(user).toMatchObject({ name: null, job_title: "Analyst", custom_attributes: {}, emails: [{ primary: true, type: "work", value: "s@example.com" }] });
    expect(normalizeGoogleUser("2", { primaryEmail: "a@example.com", archived: true }).state).toBe("inactive");
  });

  it("names a group by its name, else its e-mail", () => {
    expect(normalizeGoogleGroup("g1", { id: "g1", name: "Engineering", email: "eng@example.com" }).name).toBe("Engineering");
    expect(normalizeGoogleGroup("g2", { id: "g2", name: "", email: "eng@example.com" }).name).toBe("eng@example.com");
  });
});
