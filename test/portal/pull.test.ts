// The portal's guided setup of pull directories, in-process against the Graph emulator (real Graph
// SDK in the connector): credentials checked on submit, test connection as a dry run, activation,
// the live log with failures explained, and the deletion guard's confirm / reject.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { generateServiceAccount, startGoogleEmulator } from "../emulators/google/index.js";
import { GraphEmulator } from "../emulators/graph/index.js";
import { OktaDirectory } from "../emulators/okta/directory.js";
import { startOktaEmulator } from "../emulators/okta/server.js";
import { createHarness, type Harness } from "../harness.js";
import { postSync } from "../support/sync-run.js";
import { signIn, type PortalClient } from "./session.js";

let h: Harness;
let emulator: GraphEmulator;
let graphUrl: string;

beforeAll(async () => {
  // The emulators listen on 127.0.0.1 over http, which portal admins may not use otherwise.
  h = await createHarness({ DSYNC_PORTAL_ALLOW_PRIVATE_ENDPOINTS: "1" });
});
afterAll(() => h.close());
beforeEach(async () => {
  emulator = new GraphEmulator({ deltaPageSize: 5, deltaLinkCap: 6 });
  graphUrl = await emulator.listen();
});
afterEach(() => emulator.close());

const entraForm = (secret = emulator.clientSecret) => ({
  "credentials.tenant_id": emulator.tenantId,
  "credentials.client_id": emulator.clientId,
  "credentials.client_secret": secret,
  "settings.graph_endpoint": graphUrl,
  "settings.login_authority": graphUrl,
});

/** A new organization, a portal session, and an "azure graph" directory made through the portal. */
async function newEntraDirectory(name = "Contoso"): Promise<{ portal: PortalClient; id: string; org: string }> {
  const org = await h.json("POST", "/organizations", { name });
  const portal = await signIn(h, org.id);
  const created = await portal.post("/portal/directories", { type: "azure graph", name: "Contoso Entra" });
  expect(created.status).toBe(303);
  const id = created.headers.get("location")!.split("/").pop()!;
  return { portal, id, org: org.id };
}

/** Waits for the directory's background runs to end; returns its runs, newest first. */
async function settledRuns(directoryId: string): Promise<any[]> {
  for (let i = 0; i < 200; i++) {
    const runs = (await h.json("GET", `/directories/${directoryId}/sync_runs?limit=20`)).data;
    if (!runs.some((r: any) => r.status === "running")) return runs;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("sync run did not finish");
}

async function activate(portal: PortalClient, id: string): Promise<void> {
  expect((await portal.post(`/portal/directories/${id}/credentials`, entraForm())).status).toBe(303);
  expect((await portal.post(`/portal/directories/${id}/test`)).status).toBe(303);
  expect((await portal.post(`/portal/directories/${id}/activate`)).status).toBe(303);
  await settledRuns(id);
}

const eventTypes = async (directoryId: string) => (await h.json("GET", `/events?directory_id=${directoryId}&limit=100`)).data.map((e: any) => e.event);

describe("pull directory setup in the portal", () => {
  it("checks credentials on submit, dry-runs the first sync, and syncs only once the admin activates", async () => {
    emulator.tenant.seed({ users: 12, groups: 2, membersPerGroup: 4 });
    // Two people share a mailbox address: the test run's data-quality findings should say so.
    const [first, second] = [...emulator.tenant.users.values()];
    Object.assign(first!, { mail: "shared@contoso.example" });
    Object.assign(second!, { mail: "shared@contoso.example" });
    const { portal, id, org } = await newEntraDirectory();

    // The setup page names the exact permissions and the fields as Entra names them.
    const setup = await (await portal.get(`/portal/directories/${id}`)).text();
    for (const text of ["User.Read.All", "GroupMember.Read.All", "Grant admin consent", "Directory (tenant) ID", "Client secret value", "Microsoft Graph endpoint"]) {
      expect(setup).toContain(text);
    }

    // Nothing to test before credentials are saved.
    expect((await portal.post(`/portal/directories/${id}/test`)).status).toBe(409);

    // Missing fields are named before anything is sent to Microsoft.
    const missing = await portal.post(`/portal/directories/${id}/credentials`, { ...entraForm(), "credentials.tenant_id": "" });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toMatch(/id="f-credentials-tenant_id-error">This field is required/);
    expect(emulator.requests).toHaveLength(0);

    // A wrong secret is refused by the token endpoint; the page explains it and never echoes the secret.
    const refused = await portal.post(`/portal/directories/${id}/credentials`, entraForm("wrong-secret-value"));
    expect(refused.status).toBe(400);
    const refusedPage = await refused.text();
    expect(refusedPage).toContain("refused the client ID or secret");
    expect(refusedPage).toContain("AADSTS7000215");
    expect(refusedPage).not.toContain("wrong-secret-value");
    expect((await h.json("GET", `/directories/${id}`)).state).toBe("invalid_credentials");

    // Working credentials: checked, but the directory waits (validating) and nothing is announced yet.
    const saved = await portal.post(`/portal/directories/${id}/credentials`, entraForm());
    expect(saved.status).toBe(303);
    expect(await h.json("GET", `/directories/${id}`)).toMatchObject({ state: "validating", sync: { has_credentials: true, settings: { graph_endpoint: graphUrl } } });
    expect(await eventTypes(id)).toEqual([]);
    const waiting = await (await portal.get(`/portal/directories/${id}`)).text();
    expect(waiting).toContain("Test connection");
    expect(waiting).not.toContain(emulator.clientSecret);
    // Activation needs a test first.
    expect((await portal.post(`/portal/directories/${id}/activate`)).status).toBe(409);

    // Test connection: a dry run showing counts and sample users as they will look; nothing written.
    const tested = await portal.post(`/portal/directories/${id}/test`);
    expect(tested.status).toBe(303);
    const result = await (await portal.get(tested.headers.get("location")!)).text();
    expect(result).toContain("What the first sync would do");
    expect(result).toMatch(/id="users-created">12</);
    expect(result).toMatch(/id="groups-created">2</);
    const someone = [...emulator.tenant.users.values()][0]!;
    expect(result).toContain(someone.displayName as string);
    expect(result).toContain("Activate and run the first sync");
    expect(result).toContain("Data quality");
    expect(result).toContain("2 users have an e-mail address another user also has");
    expect(result).toContain("For example: shared@contoso.example.");
    expect((await h.json("GET", `/directory_users?directory=${id}`)).data).toEqual([]);
    expect(await eventTypes(id)).toEqual([]);

    // Credentials saved again after that test: the test no longer speaks for them.
    h.clock.advance(1000);
    expect((await portal.post(`/portal/directories/${id}/credentials`, entraForm())).status).toBe(303);
    const stale = await portal.post(`/portal/directories/${id}/activate`);
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain("test it again");
    expect((await h.json("GET", `/directories/${id}`)).state).toBe("validating");
    h.clock.advance(1000);
    expect((await portal.post(`/portal/directories/${id}/test`)).status).toBe(303);

    // Activate: linked (dsync.activated) and the first sync runs, appearing in the live log.
    expect((await portal.post(`/portal/directories/${id}/activate`)).status).toBe(303);
    const runs = await settledRuns(id);
    expect(runs[0]).toMatchObject({ dry_run: false, kind: "full", status: "succeeded", created: 14 });
    expect((await h.json("GET", `/directory_users?directory=${id}&limit=100`)).data).toHaveLength(12);
    const events = await eventTypes(id);
    expect(events[0]).toBe("dsync.activated");
    expect(events.filter((e: string) => e === "dsync.user.created")).toHaveLength(12);

    const activity = (await (await portal.get(`/portal/directories/${id}/activity`)).json()) as any;
    expect(activity).toMatchObject({ connected: true, busy: false });
    expect(activity.entries[0]).toMatchObject({ kind: "sync_run", what: "Full sync (started by hand)", result: "OK", ok: true });
    expect(activity.entries[0].explanation).toBe("Done: created 12 users and 2 groups (read 12 users and 2 groups).");
    expect(activity.entries[1]).toMatchObject({ kind: "sync_run", what: "Test run (started by hand)" });
    const page = await (await portal.get(`/portal/directories/${id}`)).text();
    expect(page).toContain(someone.displayName as string);
    expect(page).toContain("12 (12 active)");
    expect(page).toContain("Sync now");

    const audit = await h.json("GET", `/audit_events?organization_id=${org}&order=asc&limit=100`);
    expect(audit.data.map((e: any) => e.action)).toEqual([
      "portal.session.started",
      "directory.created",
      "directory.credentials.saved",
      "directory.credentials.saved",
      "directory.connection.tested",
      "directory.credentials.saved",
      "directory.connection.tested",
      "directory.activated",
      "directory.sync.started",
    ]);
    expect(JSON.stringify(audit)).not.toContain(emulator.clientSecret);
  });

  it("explains a failed sync in plain words with the raw detail behind a disclosure", async () => {
    emulator.tenant.seed({ users: 3 });
    const { portal, id } = await newEntraDirectory("Failing Co");
    await activate(portal, id);
    // The app's secret is rotated in Entra: the next sync is refused.
    Object.assign(emulator, { clientSecret: "rotated-in-entra" });
    expect((await portal.post(`/portal/directories/${id}/sync`)).status).toBe(303);
    const [failed] = await settledRuns(id);
    expect(failed.status).toBe("failed");
    expect(failed.errors[0].message).toContain("AADSTS7000215");
    const activity = (await (await portal.get(`/portal/directories/${id}/activity`)).json()) as any;
    expect(activity.entries[0]).toMatchObject({ kind: "sync_run", result: "Failed", ok: false });
    expect(activity.entries[0].explanation).toBe("Microsoft Entra ID refused the client ID or secret. Check both, or make a new secret, and enter them under Credentials.");
    expect(activity.entries[0].detail).toContain("AADSTS7000215");
    const page = await (await portal.get(`/portal/directories/${id}`)).text();
    expect(page).toContain(activity.entries[0].explanation);
    expect(page).toMatch(/<details><summary>Details<\/summary><pre>[^<]*AADSTS7000215/);
    // The directory asks for new credentials, with the form open.
    expect(page).toContain("Credentials refused");
    expect(page).toContain('id="credentials-form"');
  });

  it("shows deletions the guard held for the admin to reject or confirm", async () => {
    emulator.tenant.seed({ users: 10 });
    const { portal, id, org } = await newEntraDirectory("Guarded Ltd");
    await activate(portal, id);
    const gone = [...emulator.tenant.users.values()].slice(0, 4);
    for (const u of gone) emulator.tenant.hardDeleteUser(u.id);

    // The dry run warns; a real full run holds the deletions for a decision.
    const tested = await portal.post(`/portal/directories/${id}/test`);
    expect(tested.status, await tested.clone().text()).toBe(303);
    expect(await (await portal.get(tested.headers.get("location")!)).text()).toContain("more than the safety limit");
    let held = await postSync(h, id, "?full=true");
    expect(held.status).toBe("needs_confirmation");
    const page = await (await portal.get(`/portal/directories/${id}`)).text();
    expect(page).toContain("Deletions waiting for your decision");
    expect(page).toContain("found 4 of 10 users missing");
    expect(page).toContain(gone[0]!.displayName as string);
    // The run's own page (and any test result page meanwhile) asks the same question.
    const runPage = await (await portal.get(`/portal/directories/${id}/sync_runs/${held.id}`)).text();
    expect(runPage).toContain("Deletions waiting for your decision");
    expect(runPage).toContain(`action="/portal/directories/${id}/sync_runs/${held.id}/confirm"`);

    expect((await portal.post(`/portal/directories/${id}/sync_runs/${held.id}/reject`)).status).toBe(303);
    expect((await h.json("GET", `/directories/${id}/sync_runs/${held.id}`)).status).toBe("rejected");
    expect((await h.json("GET", `/directory_users?directory=${id}&limit=100`)).data).toHaveLength(10);
    expect(await (await portal.get(`/portal/directories/${id}`)).text()).not.toContain("Deletions waiting for your decision");

    held = await postSync(h, id, "?full=true");
    expect((await portal.post(`/portal/directories/${id}/sync_runs/${held.id}/confirm`)).status).toBe(303);
    expect((await h.json("GET", `/directories/${id}/sync_runs/${held.id}`)).status).toBe("succeeded");
    expect((await h.json("GET", `/directory_users?directory=${id}&limit=100`)).data).toHaveLength(6);
    const actions = (await h.json("GET", `/audit_events?organization_id=${org}&limit=100`)).data.map((e: any) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["directory.deletions.rejected", "directory.deletions.confirmed"]));
  });
});

describe("Okta and Google pulls through the portal", () => {
  /** Creates the directory through the portal, saves the form, tests, activates, and returns the finished first run. */
  async function connect(type: string, form: Record<string, string>): Promise<{ id: string; portal: PortalClient; run: any; result: string }> {
    const org = await h.json("POST", "/organizations", { name: `${type} portal` });
    const portal = await signIn(h, org.id);
    const id = (await portal.post("/portal/directories", { type, name: type })).headers.get("location")!.split("/").pop()!;
    const saved = await portal.post(`/portal/directories/${id}/credentials`, form);
    expect(saved.status, await saved.clone().text()).toBe(303);
    expect((await h.json("GET", `/directories/${id}`)).state).toBe("validating");
    const tested = await portal.post(`/portal/directories/${id}/test`);
    const result = await (await portal.get(tested.headers.get("location")!)).text();
    expect((await portal.post(`/portal/directories/${id}/activate`)).status).toBe(303);
    const [run] = await settledRuns(id);
    onTestFinished(async () => void (await h.request("DELETE", `/directories/${id}`)));
    return { id, portal, run, result };
  }

  it("connects Okta with an API token", async () => {
    const directory = new OktaDirectory();
    directory.now = Date.now() - 60 * 60_000;
    const okta = await startOktaEmulator({ directory });
    onTestFinished(() => okta.close());
    const token = directory.addApiToken();
    directory.generate(30, 2, 1);
    const { run, result } = await connect("okta api", { method: "api_token", "credentials.org_url": okta.url, "credentials.api_token": token });
    expect(result).toMatch(/id="users-created">30</);
    expect(run).toMatchObject({ status: "succeeded", kind: "full", dry_run: false });
    expect(run.counts.users.created).toBe(30);
  });

  it("connects Google Workspace with a pasted service-account key", async () => {
    const account = generateServiceAccount();
    const google = await startGoogleEmulator({
      serviceAccount: { email: account.key.client_email, publicKeyPem: account.publicKeyPem },
      generate: { users: 25, groups: 2, seed: 3 },
    });
    onTestFinished(() => google.close());
    const { run, result } = await connect("gsuite directory", {
      "credentials.service_account_key": JSON.stringify(account.key, null, 2),
      "credentials.admin_email": google.generated!.adminEmail,
      "settings.api_root": google.url,
      "settings.token_url": google.tokenUrl,
    });
    expect(result).toMatch(/id="users-created">25</);
    expect(result).not.toContain("PRIVATE KEY");
    expect(run).toMatchObject({ status: "succeeded", kind: "full" });
  });
});

describe("credentials forms", () => {
  it("refuse addresses on private networks or without https unless the operator allows them", async () => {
    const { portal, id } = await newEntraDirectory("Careful Co");
    h.deps.config.DSYNC_PORTAL_ALLOW_PRIVATE_ENDPOINTS = false;
    try {
      const form = { ...entraForm(), "settings.graph_endpoint": "https://169.254.169.254", "settings.login_authority": graphUrl };
      const refused = await portal.post(`/portal/directories/${id}/credentials`, form);
      expect(refused.status).toBe(400);
      const html = await refused.text();
      expect(html).toMatch(/id="f-settings-graph_endpoint-error">Cannot be used: resolves to a private, loopback, link-local or metadata address/);
      expect(html).toMatch(/id="f-settings-login_authority-error">Must use https:\/\//);
      expect(emulator.requests).toHaveLength(0);
      expect((await h.json("GET", `/directories/${id}`)).state).toBe("unlinked");
    } finally {
      h.deps.config.DSYNC_PORTAL_ALLOW_PRIVATE_ENDPOINTS = true;
    }
  });

  it("name the bad field of each vendor's form before calling the vendor", async () => {
    const org = await h.json("POST", "/organizations", { name: "Forms Co" });
    const portal = await signIn(h, org.id);
    const directory = async (type: string) => (await portal.post("/portal/directories", { type, name: type })).headers.get("location")!;

    const okta = await directory("okta api");
    const oktaPage = await (await portal.get(okta)).text();
    for (const scope of ["okta.users.read", "okta.groups.read", "okta.logs.read"]) expect(oktaPage).toContain(scope);
    const shortToken = await portal.post(`${okta}/credentials`, { method: "api_token", "credentials.org_url": "https://acme.okta.com", "credentials.api_token": "short" });
    expect(shortToken.status).toBe(400);
    expect(await shortToken.text()).toMatch(/id="f-credentials-api_token-error">Is too short to be an Okta API token/);
    const noKey = await portal.post(`${okta}/credentials`, { method: "service_app", "credentials.org_url": "https://acme.okta.com", "credentials.client_id": "0oa1" });
    expect(await noKey.text()).toMatch(/id="f-credentials-private_key-error">This field is required/);

    const google = await directory("gsuite directory");
    const googlePage = await (await portal.get(google)).text();
    expect(googlePage).toContain("https://www.googleapis.com/auth/admin.directory.group.member.readonly");
    expect(googlePage).toContain("Domain Wide Delegation");
    const badKey = await portal.post(`${google}/credentials`, { "credentials.service_account_key": "{}", "credentials.admin_email": "not-an-email" });
    const badKeyPage = await badKey.text();
    expect(badKey.status).toBe(400);
    expect(badKeyPage).toMatch(/id="f-credentials-service_account_key-error">/);
    expect(badKeyPage).toMatch(/id="f-credentials-admin_email-error">Must be the e-mail of a Workspace admin/);
    // Re-rendered with what was typed, except secrets.
    expect(badKeyPage).toContain('value="not-an-email"');
    expect((await h.json("GET", `/directories/${google.split("/").pop()}`)).state).toBe("unlinked");
  });
});
