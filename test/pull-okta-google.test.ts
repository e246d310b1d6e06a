// "okta api" and "gsuite directory" directories end to end: REST API -> credential check -> scheduler
// -> connector (the official SDKs) -> emulator, and back through normalize and the reconciler.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { listDirectoryEventsBySeq, type DirectoryScope } from "../src/sync/index.js";
import { generateServiceAccount, startGoogleEmulator } from "./emulators/google/index.js";
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

async function createDirectory(type: string, credentials: unknown, settings?: unknown): Promise<DirectoryScope & { body: any }> {
  const org = await h.json("POST", "/organizations", { name: `${type} org` });
  const res = await h.request("POST", "/directories", { organization_id: org.id, type, name: type, credentials, ...(settings ? { settings } : {}) });
  const body: any = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(201);
  // Deleted after the test, so no later scheduler step finds it due once its emulator is gone.
  onTestFinished(async () => void (await h.request("DELETE", `/directories/${body.id}`)));
  return { organizationId: org.id, directoryId: body.id, body };
}

/** POST /sync (202, or 201 for a dry run) and the run once it has finished. */
const sync = (dir: DirectoryScope, query = ""): Promise<any> => postSync(h, dir.directoryId, query);

describe("okta api directories", () => {
  it("link with a working API token, sync in full, then apply an increment from the System Log", async () => {
    const directory = new OktaDirectory();
    // The connector's cursor comes from the real clock; the emulator's org lives on it too.
    directory.now = Date.now() - 60 * 60_000;
    const okta = await startOktaEmulator({ directory });
    onTestFinished(() => okta.close());
    const token = directory.addApiToken();
    directory.generate(250, 3, 1);
    const suspended = [...directory.users.keys()][10]!;
    directory.setStatus(suspended, "SUSPENDED");

    const dir = await createDirectory("okta api", { org_url: `${okta.url}/`, api_token: token });
    expect(dir.body).toMatchObject({ state: "linked", sync: { has_credentials: true, state_reason: null } });
    expect(JSON.stringify(dir.body)).not.toContain(token);

    const full = await sync(dir, "?full=true");
    expect(full).toMatchObject({ status: "succeeded", kind: "full" });
    const synced = await listAllUsers(h, dir.directoryId);
    expect(synced).toHaveLength(250);
    expect(synced.find((u) => u.idp_id === suspended).state).toBe("inactive");
    const groups = (await h.json("GET", `/directory_groups?directory=${dir.directoryId}&limit=100`)).data;
    expect(groups.map((g: any) => g.name).sort()).toEqual(["Team 0000", "Team 0001", "Team 0002"]);

    // Changes in Okta: one leaves (deactivated, then deleted), one moves group, one is renamed.
    directory.now = Date.now();
    const ids = [...directory.users.keys()];
    const team0 = [...directory.groups.values()].find((g) => g.profile.name === "Team 0000")!;
    const leaver = [...directory.members.get(team0.id)!][0]!;
    directory.deleteUser(leaver);
    directory.updateProfile(ids[20]!, { lastName: "Renamed" });
    const mover = ids.find((id) => id !== leaver && !directory.members.get(team0.id)!.has(id))!;
    directory.addMember(team0.id, mover);

    const before = (await listDirectoryEventsBySeq(h.deps.db, dir.directoryId)).length;
    const increment = await sync(dir);
    expect(increment).toMatchObject({ status: "succeeded", kind: "incremental" });
    const events = (await listDirectoryEventsBySeq(h.deps.db, dir.directoryId)).slice(before);
    const kinds = events.map((e) => e.event);
    expect(kinds).toContain("dsync.user.deleted");
    expect(kinds).toContain("dsync.group.user_added");
    expect(events.find((e) => e.event === "dsync.user.updated" && (e.data as any).idp_id === ids[20])).toBeDefined();
    const after = await listAllUsers(h, dir.directoryId);
    expect(after).toHaveLength(249);
    expect(after.some((u) => u.idp_id === leaver)).toBe(false);
    const moverGroups = (await h.json("GET", `/directory_users/${after.find((u) => u.idp_id === mover).id}`)).groups;
    expect(moverGroups.map((g: any) => g.name)).toContain("Team 0000");
  }, 60_000);

  it("report invalid_credentials with Okta's reason", async () => {
    const okta = await startOktaEmulator();
    onTestFinished(() => okta.close());
    const dir = await createDirectory("okta api", { org_url: okta.url, api_token: "00wrong-token-value" });
    expect(dir.body.state).toBe("invalid_credentials");
    expect(dir.body.sync.state_reason).toMatch(/Okta refused the credentials \(401\)/);
  });
});

describe("gsuite directory directories", () => {
  it("link with a delegated service account and sync users, suspended and archived ones inactive", async () => {
    const account = generateServiceAccount();
    const google = await startGoogleEmulator({
      serviceAccount: { email: account.key.client_email, publicKeyPem: account.publicKeyPem },
      generate: { users: 120, groups: 4, seed: 7 },
    });
    onTestFinished(() => google.close());
    const credentials = { service_account_key: JSON.stringify(account.key), admin_email: google.generated!.adminEmail };
    const settings = { api_root: google.url, token_url: google.tokenUrl };

    const dir = await createDirectory("gsuite directory", credentials, settings);
    expect(dir.body).toMatchObject({ state: "linked", sync: { has_credentials: true } });
    expect(JSON.stringify(dir.body)).not.toContain("PRIVATE KEY");

    const full = await sync(dir, "?full=true");
    expect(full.status).toBe("succeeded");
    const synced = await listAllUsers(h, dir.directoryId);
    const live = [...google.control.dir.liveUsers()];
    expect(synced).toHaveLength(live.length);
    const suspendedIds = live.filter((u) => u.fields.suspended || u.fields.archived).map((u) => u.id);
    expect(suspendedIds.length).toBeGreaterThan(0);
    for (const id of suspendedIds) expect(synced.find((u) => u.idp_id === id).state).toBe("inactive");

    // A second full run of an unchanged directory emits nothing (Google has no delta API).
    const before = (await listDirectoryEventsBySeq(h.deps.db, dir.directoryId)).length;
    await sync(dir, "?full=true");
    expect((await listDirectoryEventsBySeq(h.deps.db, dir.directoryId)).length).toBe(before);
  }, 60_000);

  it("report invalid_credentials when the admin to impersonate is not an admin", async () => {
    const account = generateServiceAccount();
    const google = await startGoogleEmulator({
      serviceAccount: { email: account.key.client_email, publicKeyPem: account.publicKeyPem },
      generate: { users: 5, groups: 1, seed: 3 },
    });
    onTestFinished(() => google.close());
    const plain = [...google.control.dir.liveUsers()].find((u) => !u.fields.isAdmin)!;
    const dir = await createDirectory(
      "gsuite directory",
      { service_account_key: JSON.stringify(account.key), admin_email: plain.fields.primaryEmail },
      { api_root: google.url, token_url: google.tokenUrl },
    );
    expect(dir.body.state).toBe("invalid_credentials");
    expect(dir.body.sync.state_reason).toMatch(/admin/i);
  });
});
