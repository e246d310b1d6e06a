// The portal in a real browser: Debian's Chromium driven by playwright-core (never a downloaded
// browser). Screenshots of the main pages land in docs/screenshots for the README.
import { existsSync, mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../harness.js";

const SHOTS = "docs/screenshots";
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
  h = await createHarness();
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
    expect(await page.locator("#scim-status").textContent()).toContain("Waiting for the first request from Okta");

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
    await page.locator("#scim-status.ok").waitFor({ timeout: 15_000 });
    expect(await page.locator("#scim-status").textContent()).toContain("Connected");
    await expect.poll(() => page.locator("#activity tbody tr").count(), { timeout: 15_000 }).toBe(3);
    expect(await page.locator("#activity tbody").textContent()).toContain("POST /Users");
    await page.screenshot({ path: `${SHOTS}/portal-live-log.png`, fullPage: true });

    // The token is not shown again on the directory page; the users are.
    const directoryId = new URL(scimUrl).pathname.split("/").pop()!;
    await page.goto(`${base}/portal/directories/${directoryId}`);
    expect(await page.locator("#scim-token").textContent()).toContain("Hidden");
    expect(await page.locator("table:not(#activity) tbody tr").count()).toBe(2);
    await page.screenshot({ path: `${SHOTS}/portal-directory.png`, fullPage: true });
    await page.getByLabel("Search users").fill("hopper");
    await page.getByRole("button", { name: "Search" }).click();
    expect(await page.locator("table:not(#activity) tbody tr").count()).toBe(1);
    expect(await page.locator("table:not(#activity) tbody").textContent()).toContain("Grace Hopper");

    expect(problems, problems.join("\n")).toEqual([]);
    await context.close();
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
