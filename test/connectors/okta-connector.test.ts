// The Okta connector, running the official SDK against the Okta emulator.
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialsError, CursorExpiredError, isRecordPage, type SyncItem, type VendorRecord } from "../../connectors/types.js";
import { OktaConnector } from "../../connectors/okta/index.js";
import { normalizeOktaUser } from "../../src/normalize/okta-api.js";
import { OktaDirectory } from "../emulators/okta/directory.js";
import { startOktaEmulator, type OktaEmulator } from "../emulators/okta/server.js";

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

const connector = (credentials: Record<string, unknown> = { org_url: url, api_token: token }) =>
  new OktaConnector({ credentials: credentials as never, now: () => emulator.directory.now });

async function drain(stream: AsyncIterable<SyncItem>): Promise<{ records: VendorRecord[]; cursor: string | undefined }> {
  const records: VendorRecord[] = [];
  let cursor: string | undefined;
  for await (const item of stream) {
    if (isRecordPage(item)) records.push(...item);
    else cursor = item.cursor;
  }
  return { records, cursor };
}

const signal = () => new AbortController().signal;

describe("Okta connector", () => {
  let cursor: string;

  it("streams a full snapshot: every user (DEPROVISIONED too), groups but Everyone, members, then a cursor", async () => {
    const d = emulator.directory;
    d.generate(450, 4, 2);
    const gone = d.createUser({ email: "left@example.com", firstName: "Left", lastName: "Company" });
    d.setStatus(gone.id, "DEPROVISIONED");
    // Past the connector's 5-minute overlap, so the next increment starts after this data.
    d.advance(10 * 60_000);

    const { records, cursor: next } = await drain(connector().snapshot(signal()));
    const users = records.filter((r) => r.kind === "user");
    const groups = records.filter((r) => r.kind === "group");
    const memberships = records.filter((r) => r.kind === "membership");
    expect(users).toHaveLength(451);
    expect(users.map((u) => u.id)).toContain(gone.id);
    expect(groups).toHaveLength(4);
    expect(groups.map((g) => g.id)).not.toContain(d.everyoneId);
    expect(memberships).toHaveLength(900);
    // Users come before any membership that names them.
    expect(records.findIndex((r) => r.kind === "membership")).toBeGreaterThan(records.findLastIndex((r) => r.kind === "user"));
    expect(next).toBeDefined();
    cursor = next!;

    const deprovisioned = users.find((u) => u.id === gone.id)!;
    expect(normalizeOktaUser(deprovisioned.id, (deprovisioned as any).raw)).toMatchObject({ state: "inactive", email: "left@example.com" });
  });

  it("reads an increment from lastUpdated and the System Log without walking the directory", async () => {
    const d = emulator.directory;
    d.advance(60_000);
    const ids = [...d.users.keys()];
    const groupIds = [...d.groups.keys()].filter((g) => g !== d.everyoneId);
    d.updateProfile(ids[5]!, { title: "Director" });
    const hire = d.createUser({ email: "hire@example.com", firstName: "New", lastName: "Hire", department: "Sales" });
    d.addMember(groupIds[0]!, hire.id);
    d.removeMember(groupIds[1]!, [...d.members.get(groupIds[1]!)!][0]!);
    d.setStatus(ids[7]!, "SUSPENDED");
    d.deleteUser(ids[8]!);
    d.renameGroup(groupIds[2]!, "Renamed Team");
    d.deleteGroup(groupIds[3]!);
    emulator.requests.length = 0;

    const { records, cursor: next } = await drain(connector().changes(cursor, signal()));
    const kinds = (kind: string) => records.filter((r) => r.kind === kind) as (VendorRecord & { id: string })[];
    // The deleted user is gone from the API; only the log tells of it.
    expect(kinds("user").map((u) => u.id).sort()).toEqual([ids[5], hire.id, ids[7]].sort());
    expect(kinds("user_removed")).toEqual([{ kind: "user_removed", id: ids[8], soft: false }]);
    expect(kinds("membership")).toEqual([{ kind: "membership", groupId: groupIds[0], userId: hire.id }]);
    expect(kinds("membership_removed")).toHaveLength(1);
    expect(kinds("group").map((g) => g.id)).toEqual([groupIds[2]]);
    expect(kinds("group_removed")).toEqual([{ kind: "group_removed", id: groupIds[3] }]);
    expect(normalizeOktaUser(ids[7]!, (kinds("user").find((u) => u.id === ids[7]) as any).raw).state).toBe("inactive");

    // No member lists were walked, and the user list was filtered.
    expect(emulator.requests.some((r) => /\/groups\/[^/]+\/users$/.test(r.path))).toBe(false);
    expect(emulator.requests.filter((r) => r.path === "/api/v1/users").every((r) => r.query.filter?.startsWith("lastUpdated gt"))).toBe(true);
    expect(next).toBeDefined();
    expect(JSON.parse(next!).since > JSON.parse(cursor).since).toBe(true);
  });

  it("refuses a cursor it did not write or one older than the System Log's retention", async () => {
    await expect(drain(connector().changes("not a cursor", signal()))).rejects.toBeInstanceOf(CursorExpiredError);
    const old = JSON.stringify({ v: 1, since: new Date(emulator.directory.now - 100 * 86_400_000).toISOString() });
    await expect(drain(connector().changes(old, signal()))).rejects.toBeInstanceOf(CursorExpiredError);
  });

  it("waits out a 429 until X-Rate-Limit-Reset and carries on", async () => {
    emulator.throttle(2, 0);
    const { records } = await drain(connector().snapshot(signal()));
    expect(records.filter((r) => r.kind === "user").length).toBeGreaterThan(400);
  }, 20_000);

  it("checks credentials: an API token that works, one that does not, and an OAuth app's real refusal", async () => {
    await expect(connector().check(signal())).resolves.toBeUndefined();
    await expect(connector({ org_url: url, api_token: "00wrongtoken000" }).check(signal())).rejects.toThrow(CredentialsError);

    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    emulator.directory.addServiceApp({ clientId: "0oafull", publicKey, allowedScopes: ["okta.users.read", "okta.groups.read", "okta.logs.read"] });
    emulator.directory.addServiceApp({ clientId: "0oanologs", publicKey, allowedScopes: ["okta.users.read", "okta.groups.read"] });
    await expect(connector({ org_url: url, client_id: "0oafull", private_key: pem }).check(signal())).resolves.toBeUndefined();
    // The SDK alone would only say 401; the connector names the missing scope.
    await expect(connector({ org_url: url, client_id: "0oanologs", private_key: pem }).check(signal())).rejects.toThrow(/invalid_scope.*okta\.logs\.read/);
    await expect(connector({ org_url: url, client_id: "0oafull", private_key: "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----" }).check(signal())).rejects.toThrow(
      /private key could not be read/,
    );
  });

  it("maps Okta statuses and profile attributes onto the canonical user", () => {
    const raw = {
      id: "00u1",
      status: "LOCKED_OUT",
      profile: { login: "ada@example.com", email: "ada@example.com", secondEmail: "ada@home.test", firstName: "Ada", lastName: "Lovelace", title: "Analyst", department: "R&D", employeeNumber: "E7", costCenter: "CC1", managerId: "00u0" },
    };
    expect(normalizeOktaUser("00u1", raw)).toMatchObject({
      idp_id: "00u1",
      first_name: "Ada",
      last_name: "Lovelace",
      email: "ada@example.com",
      emails: [
        { primary: true, type: "work", value: "ada@example.com" },
        { primary: false, type: "other", value: "ada@home.test" },
      ],
      username: "ada@example.com",
      job_title: "Analyst",
      state: "inactive",
      custom_attributes: { department: "R&D", employee_number: "E7", cost_center: "CC1", manager_id: "00u0" },
    });
    for (const status of ["ACTIVE", "PASSWORD_EXPIRED", "RECOVERY", "STAGED", "PROVISIONED"]) {
      expect(normalizeOktaUser("x", { status, profile: {} }).state, status).toBe("active");
    }
    for (const status of ["SUSPENDED", "DEPROVISIONED", "LOCKED_OUT"]) {
      expect(normalizeOktaUser("x", { status, profile: {} }).state, status).toBe("inactive");
    }
  });
});

describe("Okta connector records", () => {
  it("carry what Okta sent, which the SDK's models drop (a group's custom profile attributes), without _links", async () => {
    const directory = new OktaDirectory();
    const own = await startOktaEmulator({ directory });
    try {
      const apiToken = directory.addApiToken();
      directory.createGroup({ name: "Payroll", description: "From Workday", costCenter: "CC-4711" }, "APP_GROUP");
      directory.createUser({ email: "ann@example.com", firstName: "Ann", lastName: "Lee" });
      const source = new OktaConnector({ credentials: { org_url: own.url, api_token: apiToken } as never, now: () => directory.now });
      const { records } = await drain(source.snapshot(signal()));
      const group = records.find((r) => r.kind === "group" && (r.raw.profile as { name?: string }).name === "Payroll") as Extract<VendorRecord, { kind: "group" }>;
      expect(group.raw).toMatchObject({ type: "APP_GROUP", profile: { costCenter: "CC-4711" } });
      const user = records.find((r) => r.kind === "user") as Extract<VendorRecord, { kind: "user" }>;
      expect(user.raw).toMatchObject({ status: "ACTIVE", profile: { email: "ann@example.com" }, credentials: { provider: { type: "OKTA" } } });
      expect(user.raw).not.toHaveProperty("_links");
      expect(group.raw).not.toHaveProperty("_links");
    } finally {
      await own.close();
    }
  });
});
