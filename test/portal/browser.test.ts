// The portal in a real browser: Debian's Chromium driven by playwright-core (never a downloaded
// browser). Screenshots of the main pages are taken on every run; they replace the README's in
// docs/screenshots only with DSYNC_UPDATE_SCREENSHOTS=1, so a test run leaves the tree as it was.
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphEmulator } from "../emulators/graph/index.js";
import { createHarness, type Harness } from "../harness.js";
import { postSync } from "../support/sync-run.js";

const SHOTS = process.env.DSYNC_UPDATE_SCREENSHOTS === "1" ? "docs/screenshots" : join(tmpdir(), "dsync-screenshots");
const CHROMIUM = "/usr/bin/chromium";
// CI always runs these (.ci/run installs Chromium, and a missing browser fails the run there). On a
// developer machine without Debian's Chromium they are skipped with a note, so `npm test` still works.
const runBrowser = existsSync(CHROMIUM) || process.env.CI === "true";
if (!runBrowser) console.warn(`portal browser tests skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);
let h: Harness;
let base: string;
let browser: Browser;

beforeAll(async () => {
  if (!runBrowser) return;
  // The emulators listen on 127.0.0.1 over http, which portal admins may not use otherwise.
  h = await createHarness({ DSYNC_PORTAL_ALLOW_PRIVATE_ENDPOINTS: "1" });
  base = await h.listen();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

/** A fresh setup link for `organization`, on the port this test's server listens on. */
async function setupLink(organization: string): Promise<string> {
  const { link } = await h.json("POST", "/portal/generate_link", { organization, intent: "dsync", return_url: "https://app.example.com/settings" });
  const url = new URL(link);
  return `${base}${url.pathname}${url.search}`;
}

describe.runIf(runBrowser)("portal in Chromium", () => {
  it("takes an IT admin from a setup link to a connected directory with its users", async () => {
    const org = await h.json("POST", "/organizations", { name: "Acme Corporation" });
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));

    await page.goto(await setupLink(org.id));
    await expect.poll(() => page.title()).toContain("Directory sync");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Directory sync for Acme Corporation");
    await page.screenshot({ path: `${SHOTS}/portal-overview.png`, fullPage: true });

    // The skip link is the first thing the keyboard reaches.
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Skip to content");

    await page.getByRole("link", { name: "Connect a directory" }).click();
    await page.getByLabel("Okta (SCIM)").check();
    await page.getByLabel("Name for this connection").fill("Okta production");
    await page.screenshot({ path: `${SHOTS}/portal-connect.png`, fullPage: true });
    await page.getByRole("button", { name: "Continue" }).click();
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Okta production");
    expect(await page.locator("#sync-status").textContent()).toContain("Waiting for the first request from Okta");

    // The IT admin pastes what the page shows into Okta; Okta's first requests arrive in the live log.
    const scimUrl = await page.locator("#scim-url").inputValue();
    const token = await page.locator("#scim-token").inputValue();
    await page.screenshot({ path: `${SHOTS}/portal-scim-setup.png`, fullPage: true });
    const scim = (path: string, init: RequestInit = {}) =>
      fetch(`${scimUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json", ...init.headers } });
    expect((await scim('/Users?filter=userName%20eq%20%22grace%40acme.test%22&startIndex=1&count=100')).status).toBe(200);
    for (const [given, family] of [["Grace", "Hopper"], ["Katherine", "Johnson"]] as const) {
      const created = await scim("/Users", {
        method: "POST",
        body: JSON.stringify({
          schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
          userName: `${given.toLowerCase()}@acme.test`,
          name: { givenName: given, familyName: family },
          emails: [{ primary: true, value: `${given.toLowerCase()}@acme.test`, type: "work" }],
          active: true,
        }),
      });
      expect(created.status).toBe(201);
    }
    // No reload: the page's script polls and turns green.
    await page.locator("#sync-status.ok").waitFor({ timeout: 15_000 });
    expect(await page.locator("#sync-status").textContent()).toContain("Connected");
    await expect.poll(() => page.locator("#activity tbody tr").count(), { timeout: 15_000 }).toBe(3);
    expect(await page.locator("#activity tbody").textContent()).toContain("POST /Users");
    // The facts above the log follow too.
    await expect.poll(() => page.locator("#count-users").textContent(), { timeout: 15_000 }).toBe("2 (2 active)");
    expect(await page.locator("#directory-state").textContent()).toBe("Connected");
    await page.screenshot({ path: `${SHOTS}/portal-live-log.png`, fullPage: true });

    // The token is not shown again on the directory page; the users are.
    const directoryId = new URL(scimUrl).pathname.split("/").pop()!;
    await page.goto(`${base}/portal/directories/${directoryId}`);
    expect(await page.locator("#scim-token").textContent()).toContain("Hidden");
    expect(await page.locator("table:not(#activity) tbody tr").count()).toBe(2);
    await page.screenshot({ path: `${SHOTS}/portal-directory.png`, fullPage: true });
    await page.getByLabel("Search users").fill("hopper");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    expect(await page.locator("table:not(#activity) tbody tr").count()).toBe(1);
    expect(await page.locator("table:not(#activity) tbody").textContent()).toContain("Grace Hopper");

    expect(problems, problems.join("\n")).toEqual([]);
    await context.close();
  });

  it("sets up an Entra Graph pull: credentials, test connection, activation, users", async () => {
    const emulator = new GraphEmulator();
    const graphUrl = await emulator.listen();
    try {
      const people = [
        ["Adele", "Vance", "Retail Manager", "Retail"],
        ["Alex", "Wilber", "Marketing Assistant", "Marketing"],
        ["Diego", "Siciliani", "HR Manager", "HR"],
        ["Isaiah", "Langer", "Sales Rep", "Sales"],
        ["Lee", "Gu", "Director", "Manufacturing"],
        ["Megan", "Bowen", "Marketing Manager", "Marketing"],
      ];
      const users = people.map(([givenName, surname, jobTitle, department]) =>
        emulator.tenant.newUser({ givenName, surname, displayName: `${givenName} ${surname}`, jobTitle, department, userPrincipalName: `${givenName!.toLowerCase()}@contoso.example`, mail: `${givenName!.toLowerCase()}@contoso.example` }, false),
      );
      // Megan was given Alex's address by mistake: the test result's data-quality findings catch it.
      emulator.tenant.updateUser(users[5]!.id, { mail: "alex@contoso.example" });
      emulator.tenant.newGroup({ displayName: "Marketing" }, [users[1]!.id, users[5]!.id], false);
      emulator.tenant.newGroup({ displayName: "Leadership" }, [users[2]!.id, users[4]!.id], false);

      const org = await h.json("POST", "/organizations", { name: "Contoso" });
      const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(e.message));
      await page.goto(await setupLink(org.id));
      await page.getByRole("link", { name: "Connect a directory" }).click();
      await page.getByLabel("Microsoft Entra ID (read with Microsoft Graph)").check();
      await page.getByLabel("Name for this connection").fill("Contoso Entra");
      await page.getByRole("button", { name: "Continue" }).click();

      // The form names the permissions to grant; the advanced fields point it at the emulator.
      expect(await page.locator("main").textContent()).toContain("GroupMember.Read.All");
      await page.getByLabel("Directory (tenant) ID").fill(emulator.tenantId);
      await page.getByLabel("Application (client) ID").fill(emulator.clientId);
      await page.getByLabel("Client secret value").fill(emulator.clientSecret);
      await page.getByText("Advanced", { exact: true }).click();
      await page.getByLabel("Microsoft Graph endpoint").fill(graphUrl);
      await page.getByLabel("Login authority").fill(graphUrl);
      await page.screenshot({ path: `${SHOTS}/portal-pull-setup.png`, fullPage: true });
      await page.getByRole("button", { name: "Check and save credentials" }).click();

      // Checked: the directory waits for a test before anything syncs.
      await page.getByRole("button", { name: "Test connection" }).click();
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Test result");
      expect(await page.locator("#users-created").textContent()).toBe("6");
      expect(await page.locator("#groups-created").textContent()).toBe("2");
      expect(await page.locator("#sample-users").textContent()).toContain("Adele Vance");
      expect(await page.locator("#findings-heading + ul").textContent()).toContain("2 users have an e-mail address another user also has");
      await page.screenshot({ path: `${SHOTS}/portal-test-result.png`, fullPage: true });
      const directoryId = new URL(page.url()).pathname.split("/")[3]!;
      expect((await h.json("GET", `/directory_users?directory=${directoryId}`)).data).toEqual([]);

      // Activate: the first sync runs in the background; the page shows its users when it ends.
      await page.getByRole("button", { name: "Activate and run the first sync" }).click();
      await expect.poll(() => page.locator("table:not(#activity) tbody tr").count(), { timeout: 20_000 }).toBe(6);
      expect(await page.locator("#activity tbody tr").first().textContent()).toContain("Full sync");
      expect(await page.locator("#activity tbody tr").first().textContent()).toContain("6 users");
      expect(await page.locator("#groups").textContent()).toContain("Leadership");
      await page.screenshot({ path: `${SHOTS}/portal-pull-directory.png`, fullPage: true });

      // Role mapping: Leadership members become admins; the preview shows who would change before saving.
      await page.getByRole("link", { name: "Role mapping" }).click();
      await page.getByLabel("Default role (optional)").fill("member");
      await page.getByLabel("Role for Leadership").fill("admin");
      await page.getByLabel("Priority for Leadership").fill("1");
      await page.getByRole("button", { name: "Preview" }).click();
      expect(await page.locator("#preview tbody").textContent()).toContain("Diego Siciliani");
      await page.screenshot({ path: `${SHOTS}/portal-role-mapping.png`, fullPage: true });
      await page.getByRole("button", { name: "Save roles" }).click();
      expect(await page.getByRole("status").first().textContent()).toContain("got a new role");
      const roles = (await h.json("GET", `/directory_users?directory=${directoryId}&limit=100`)).data.map((u: any) => [u.name, u.role?.slug]);
      expect(roles).toEqual(expect.arrayContaining([["Diego Siciliani", "admin"], ["Lee Gu", "admin"], ["Adele Vance", "member"]]));

      // Attribute mapping: a preview of what a change would do to a few users, before saving it.
      await page.getByRole("link", { name: "Back to Contoso Entra" }).click();
      await page.getByRole("link", { name: "Attribute mapping" }).click();
      await page.getByLabel("Job title").fill("department");
      await page.getByRole("button", { name: "Preview" }).click();
      expect(await page.locator("#preview").textContent()).toContain("Retail Manager");
      await page.screenshot({ path: `${SHOTS}/portal-attribute-mapping.png`, fullPage: true });

      // Half the people vanish from Entra: the deletion guard holds the deletions for the admin.
      for (const u of users.slice(0, 3)) emulator.tenant.hardDeleteUser(u.id);
      await postSync(h, directoryId, "?full=true");
      await page.goto(`${base}/portal/directories/${directoryId}`);
      expect(await page.locator("#held-deletions").textContent()).toContain("found 3 of 6 users missing");
      await page.locator("#held-deletions").screenshot({ path: `${SHOTS}/portal-deletion-guard.png` });
      await page.getByRole("button", { name: "Reject: keep them" }).click();
      expect(await page.locator("#held-deletions").count()).toBe(0);
      expect((await h.json("GET", `/directory_users?directory=${directoryId}&limit=100`)).data).toHaveLength(6);
      expect(problems, problems.join("\n")).toEqual([]);
      await context.close();
    } finally {
      await emulator.close();
    }
  });

  it("refuses a reused link and an expired one with a friendly page", async () => {
    const org = await h.json("POST", "/organizations", { name: "Reuse Ltd" });
    const link = await setupLink(org.id);
    const first = await browser.newPage();
    await first.goto(link);
    expect(await first.getByRole("heading", { level: 1 }).textContent()).toContain("Reuse Ltd");
    await first.close();

    const second = await browser.newPage();
    const reused = await second.goto(link);
    expect(reused?.status()).toBe(410);
    expect(await second.getByRole("heading", { level: 1 }).textContent()).toBe("This link was already used");
    expect(await second.getByRole("link", { name: /Back to/ }).getAttribute("href")).toBe("https://app.example.com/settings");
    await second.screenshot({ path: `${SHOTS}/portal-link-used.png` });
    await second.close();

    const late = await setupLink(org.id);
    h.clock.advance(6 * 60_000);
    const third = await browser.newPage();
    const expired = await third.goto(late);
    expect(expired?.status()).toBe(410);
    expect(await third.getByRole("heading", { level: 1 }).textContent()).toBe("This link has expired");
    await third.close();
  });
});
