import { afterAll, beforeAll, expect, it } from "vitest";
import { createHarness, type Harness } from "./harness.js";

// The default configuration (DSYNC_ALLOW_PRIVATE_WEBHOOKS off), as in production.
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

it.each([
  ["http://hooks.example.com/dsync", "must use https"],
  ["https://127.0.0.1/hooks", "private"],
  ["https://localhost/hooks", "private"],
  ["https://10.0.0.7/hooks", "private"],
  ["https://192.168.1.20/hooks", "private"],
  ["https://169.254.169.254/latest/meta-data/", "private"],
  ["https://[::1]/hooks", "private"],
  ["https://[fe80::1]/hooks", "private"],
])("refuses %s when private webhooks are not allowed", async (url, reason) => {
  const res = await h.request("POST", "/webhook_endpoints", { url });
  expect(res.status).toBe(400);
  const body = (await res.json()) as any;
  expect(body.errors[0]).toMatchObject({ field: "url", message: expect.stringContaining(reason) });
});

it("refuses the same addresses when an endpoint's url is changed", async () => {
  const res = await h.request("PATCH", "/webhook_endpoints/we_missing", { url: "https://127.0.0.1/x" });
  expect(res.status).toBe(400);
});
