// A `serve` process stopped with SIGTERM writes the SCIM request log it still buffers (entries are
// written in batches a fraction of a second after each request), so no request goes missing from it.
import { afterAll, expect, it } from "vitest";
import { TEST_API_KEY } from "../harness.js";
import { gatewayEnv, GatewayProcess } from "../support/gateway-process.js";
import { USER } from "./scim-client.js";

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

const REQUESTS = 25;

it("flushes the buffered SCIM request log on SIGTERM", async () => {
  const g = await gatewayEnv();
  cleanup.push(() => g.dispose());
  const serve = GatewayProcess.start("serve", g.env);
  cleanup.push(() => serve.stop());
  const base = await serve.listening();
  const call = async (path: string, token: string, method = "GET", body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  const org = (await call("/organizations", TEST_API_KEY, "POST", { name: "Stop Co" })).body;
  const dir = (await call("/directories", TEST_API_KEY, "POST", { organization_id: org.id, type: "okta scim v2.0", name: "Stop" })).body;
  const scimPath = new URL(dir.scim.base_url).pathname;
  for (let i = 0; i < REQUESTS - 1; i++) {
    const res = await call(`${scimPath}/Users`, dir.scim.token, "POST", { schemas: [USER], userName: `user${i}@stop.test` });
    expect(res.status).toBe(201);
  }
  expect((await call(`${scimPath}/Users`, "scim_wrong")).status).toBe(401); // rejected requests are logged too
  // At once, while the last entries are still buffered.
  await serve.stop();
  expect(await serve.exited).toBe(0);

  const { deps, request } = await g.open();
  cleanup.push(() => deps.database.close());
  const logged: { method: string; status: number }[] = [];
  let page = await request("GET", `/directories/${dir.id}/scim_requests?order=asc&limit=100`);
  logged.push(...page.data);
  while (page.list_metadata.after) {
    page = await request("GET", `/directories/${dir.id}/scim_requests?order=asc&limit=100&after=${page.list_metadata.after}`);
    logged.push(...page.data);
  }
  expect(logged).toHaveLength(REQUESTS);
  expect(logged.filter((e) => e.method === "POST" && e.status === 201)).toHaveLength(REQUESTS - 1);
  expect(logged.at(-1)).toMatchObject({ method: "GET", status: 401 });
}, 60_000);
