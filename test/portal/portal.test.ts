// The admin portal over HTTP (in-process): setup links, sessions, CSRF, tenant isolation, audit log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/model/index.js";
import { createPortalApp } from "../../src/portal/app.js";
import { finishSyncRun, startSyncRun } from "../../src/sync/sync-runs.js";
import { createHarness, type Harness } from "../harness.js";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

async function link(organization: string, extra: Record<string, string> = {}): Promise<string> {
  const { link } = await h.json("POST", "/portal/generate_link", { organization, intent: "dsync", ...extra });
  const url = new URL(link);
  return url.pathname + url.search;
}

/** Opens a link like a browser would and returns the session cookie. */
async function signIn(organization: string): Promise<{ cookie: string; csrf: string }> {
  const res = await h.request("GET", await link(organization), undefined, { auth: false });
  expect(res.status).toBe(303);
  const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const page = await get("/portal", cookie);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  return { cookie, csrf };
}

const get = (path: string, cookie: string) => h.request("GET", path, undefined, { auth: false, headers: { cookie } });
const post = (path: string, cookie: string, form: Record<string, string>) =>
  h.request("POST", path, new URLSearchParams(form).toString(), { auth: false, headers: { cookie, "content-type": "application/x-www-form-urlencoded" } });

describe("setup links", () => {
  it("are created only with the operator key, for a real organization, with intent dsync", async () => {
    const org = await h.json("POST", "/organizations", { name: "Links Inc" });
    expect((await h.request("POST", "/portal/generate_link", { organization: org.id, intent: "dsync" }, { auth: false })).status).toBe(401);
    const unknown = await h.request("POST", "/portal/generate_link", { organization: "org_nope", intent: "dsync" });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(await unknown.json())).toContain("organization");
    const badIntent = await h.request("POST", "/portal/generate_link", { organization: org.id, intent: "sso" });
    expect(badIntent.status).toBe(400);
    const ok = await h.json("POST", "/portal/generate_link", { organization: org.id, intent: "dsync" });
    expect(ok.link).toMatch(/^http:\/\/localhost:\d+\/portal\/launch\?secret=[A-Za-z0-9_-]{40,}$/);
  });

  it("start a session with a safe cookie once, then are refused as used", async () => {
    const org = await h.json("POST", "/organizations", { name: "Once Ltd" });
    const path = await link(org.id, { return_url: "https://app.example.com/settings" });
    const first = await h.request("GET", path, undefined, { auth: false });
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toBe("/portal");
    const cookie = first.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\/portal/);
    const again = await h.request("GET", path, undefined, { auth: false });
    expect(again.status).toBe(410);
    const page = await again.text();
    expect(page).toContain("This link was already used");
    expect(page).toContain('href="https://app.example.com/settings"');
  });

  it("expire after five minutes and unknown ones get a friendly 404", async () => {
    const org = await h.json("POST", "/organizations", { name: "Late GmbH" });
    const path = await link(org.id);
    h.clock.advance(5 * 60_000 + 1);
    const late = await h.request("GET", path, undefined, { auth: false });
    expect(late.status).toBe(410);
    expect(await late.text()).toContain("This link has expired");
    const unknown = await h.request("GET", "/portal/launch?secret=nothing", undefined, { auth: false });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("This link does not work");
  });
});

describe("portal pages", () => {
  it("escape what they show and send a strict Content-Security-Policy", async () => {
    const org = await h.json("POST", "/organizations", { name: 'Evil <script>alert("x")</script> Co' });
    const { cookie } = await signIn(org.id);
    const res = await get("/portal", cookie);
    const html = await res.text();
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("Evil &lt;script&gt;");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("create a directory through the form, only with the session's CSRF token", async () => {
    const org = await h.json("POST", "/organizations", { name: "Forms AG" });
    const { cookie, csrf } = await signIn(org.id);
    const forged = await post("/portal/directories", cookie, { type: "okta scim v2.0", name: "Okta" });
    expect(forged.status).toBe(403);
    const invalid = await post("/portal/directories", cookie, { _csrf: csrf, type: "carrier pigeon", name: "" });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain("Choose your identity provider.");

    const created = await post("/portal/directories", cookie, { _csrf: csrf, type: "okta scim v2.0", name: "Okta" });
    expect(created.status).toBe(201);
    const html = await created.text();
    const directories = await h.json("GET", `/directories?organization_id=${org.id}`);
    expect(directories.data.map((d: any) => [d.type, d.name])).toEqual([["okta scim v2.0", "Okta"]]);
    const directoryId = directories.data[0].id;
    // The SCIM URL and a working token, shown once, with Okta's own field names and steps.
    const baseUrl = /id="scim-url" type="text" readonly="" value="([^"]+)"/.exec(html)![1]!;
    const token = /id="scim-token" type="text" readonly="" value="([^"]+)"/.exec(html)![1]!;
    expect(baseUrl).toMatch(new RegExp(`/scim/v2/${directoryId}$`));
    expect(html).toContain("SCIM connector base URL");
    expect(html).toContain("Configure API Integration");
    expect(html).toContain("Waiting for the first request from Okta");
    const page = await (await get(`/portal/directories/${directoryId}`, cookie)).text();
    expect(page).not.toContain(token);
    expect(page).toContain("Okta (SCIM)");

    // The IdP's first request turns the directory green and shows in the live log.
    const scimPath = new URL(baseUrl).pathname;
    const scim = (path: string, bearer: string) => h.request("GET", `${scimPath}${path}`, undefined, { auth: bearer });
    expect((await scim("/Users?filter=userName%20eq%20%22x%22", token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 400)); // the request log writes in batches every 200 ms
    const activity = (await (await get(`/portal/directories/${directoryId}/activity`, cookie)).json()) as any;
    expect(activity.connected).toBe(true);
    expect(activity.status_text).toContain("Connected");
    expect(activity.entries[0]).toMatchObject({ kind: "scim_request", what: expect.stringMatching(/^GET \/Users\?filter=/), result: "OK", ok: true });

    // Making a new token shows it once and stops the old one.
    const rotated = await (await post(`/portal/directories/${directoryId}/scim_token`, cookie, { _csrf: csrf })).text();
    const fresh = /id="scim-token" type="text" readonly="" value="([^"]+)"/.exec(rotated)![1]!;
    expect(fresh).not.toBe(token);
    expect((await scim("/Users", token)).status).toBe(401);
    expect((await scim("/Users", fresh)).status).toBe(200);
  });

  it("show a directory's users with search and counts", async () => {
    const org = await h.json("POST", "/organizations", { name: "Search SA" });
    const dir = await h.json("POST", "/directories", { organization_id: org.id, type: "generic scim v2.0", name: "HR" });
    const scope = { organizationId: org.id, directoryId: dir.id };
    await h.deps.reconciler.applySnapshot(scope, {
      users: [
        { idp_id: "1", first_name: "Ada", last_name: "Lovelace", email: "ada@search.test" },
        { idp_id: "2", first_name: "Alan", last_name: "Turing", email: "alan@search.test", state: "inactive" },
      ],
      groups: [{ idp_id: "g", name: "Mathematicians" }],
      memberships: [{ group_idp_id: "g", user_idp_id: "1" }],
    });
    const { cookie } = await signIn(org.id);
    const all = await (await get(`/portal/directories/${dir.id}`, cookie)).text();
    expect(all).toContain("Ada Lovelace");
    expect(all).toContain("Alan Turing");
    expect(all).toContain("2 (1 active)");
    expect(all).toContain("Mathematicians");
    const found = await (await get(`/portal/directories/${dir.id}?q=lovelace`, cookie)).text();
    expect(found).toContain("Ada Lovelace");
    expect(found).not.toContain("Alan Turing");
    const none = await (await get(`/portal/directories/${dir.id}?q=${encodeURIComponent("100%")}`, cookie)).text();
    expect(none).toContain("No user matches");
    const groups = await (await get(`/portal/directories/${dir.id}?gq=physic`, cookie)).text();
    expect(groups).toContain("No group matches “physic”");
    expect(await (await get(`/portal/directories/${dir.id}?gq=MATH`, cookie)).text()).toMatch(/<ul class="list" id="groups"><li>Mathematicians<\/li>/);
  });

  it("keep one organization's session out of another's directories, route by route", async () => {
    const a = await h.json("POST", "/organizations", { name: "Tenant A" });
    const b = await h.json("POST", "/organizations", { name: "Tenant B" });
    const scimB = await h.json("POST", "/directories", { organization_id: b.id, type: "okta scim v2.0", name: "B's Okta" });
    const pullB = await h.json("POST", "/directories", { organization_id: b.id, type: "azure graph", name: "B's Entra" });
    // A run of B's waiting for a decision, so confirm / reject have something to refuse.
    const scopeB = { organizationId: b.id, directoryId: pullB.id };
    const runId = newId("sync_run");
    await startSyncRun(h.deps.db, scopeB, { id: runId, kind: "full", trigger: "manual", dryRun: false }, h.clock.now());
    const held = { status: "needs_confirmation" as const, kind: "full" as const, usersSeen: 0, groupsSeen: 0, created: 0, updated: 0, deleted: 0 };
    await finishSyncRun(h.deps.db, runId, { ...held, counts: {}, errors: [], preview: { deletions: { users: 1 } }, snapshotMark: "mark" }, h.clock.now());

    const { cookie, csrf } = await signIn(a.id);
    // Every route of the portal that names a directory, taken from the app itself so new ones are covered.
    const routes = createPortalApp(h.deps).routes.filter((r) => (r.method === "GET" || r.method === "POST") && r.path.includes(":id"));
    expect(routes.length).toBeGreaterThanOrEqual(10);
    for (const route of routes) {
      for (const dir of [scimB, pullB]) {
        const path = `/portal${route.path.replace(":id", dir.id).replace(":run_id", runId)}`;
        const res = route.method === "GET" ? await get(path, cookie) : await post(path, cookie, { _csrf: csrf });
        expect(res.status, `${route.method} ${path}`).toBe(404);
        const body = await res.text();
        expect(body).not.toContain("B's");
        expect(body).not.toContain("B&#39;s");
      }
    }
    const overview = await (await get("/portal", cookie)).text();
    expect(overview).not.toContain("B&#39;s Okta");
    expect(overview).not.toContain("B's Okta");
    // Nothing of B's changed, and nothing was audited against B.
    expect(await h.json("GET", `/directories/${pullB.id}/sync_runs/${runId}`)).toMatchObject({ status: "needs_confirmation" });
    expect(await h.json("GET", `/directories/${pullB.id}`)).toMatchObject({ state: "unlinked" });
    expect((await h.json("GET", `/audit_events?organization_id=${b.id}`)).data).toEqual([]);
  });

  it("end a session after 30 idle minutes and on sign-out, and audit what the admin did", async () => {
    const org = await h.json("POST", "/organizations", { name: "Idle BV" });
    const idle = await signIn(org.id);
    h.clock.advance(31 * 60_000);
    const stale = await get("/portal", idle.cookie);
    expect(stale.status).toBe(401);
    expect(await stale.text()).toContain("Your session has ended");

    const active = await signIn(org.id);
    await post("/portal/directories", active.cookie, { _csrf: active.csrf, type: "azure scim v2.0", name: "Entra" });
    expect((await post("/portal/logout", active.cookie, { _csrf: active.csrf })).status).toBe(200);
    expect((await get("/portal", active.cookie)).status).toBe(401);

    const audit = await h.json("GET", `/audit_events?organization_id=${org.id}&order=asc&limit=100`);
    expect(audit.data.map((e: any) => e.action)).toEqual(["portal.session.started", "portal.session.started", "directory.created", "portal.session.ended"]);
    expect(audit.data[2]).toMatchObject({ actor: { type: "portal_session" }, detail: { type: "azure scim v2.0", name: "Entra" } });
    expect((await h.request("GET", "/audit_events", undefined, { auth: false })).status).toBe(401);
  });
});

describe("branding", () => {
  it("is set by the operator, validated, and used by the pages with a readable text colour", async () => {
    const bad = await h.request("PUT", "/portal/branding", { app_name: "", logo_url: "http://x", accent_color: "blue" });
    expect(bad.status).toBe(400);
    const fields = ((await bad.json()) as any).errors.map((e: any) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["app_name", "logo_url", "accent_color"]));
    await h.json("PUT", "/portal/branding", { app_name: "Acme HR", logo_url: "https://cdn.example.com/logo.png", accent_color: "#FFD400" });
    const theme = await (await h.request("GET", "/portal/assets/theme.css", undefined, { auth: false })).text();
    expect(theme).toContain("--accent:#ffd400");
    expect(theme).toContain("--accent-text:#111111");
    const org = await h.json("POST", "/organizations", { name: "Brand Co" });
    const { cookie } = await signIn(org.id);
    const html = await (await get("/portal", cookie)).text();
    expect(html).toContain("Acme HR");
    expect(html).toContain('src="https://cdn.example.com/logo.png"');
  });
});
