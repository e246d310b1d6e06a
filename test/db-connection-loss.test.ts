// The gateway outlives its database connections being cut (a server restart, a failover, a
// terminated backend) in the middle of an IdP's push: requests that met the cut get 503 with
// Retry-After, every create answered 201 is stored with its event, and the process keeps serving.
// postgres.js 3.4.9 crashed or stranded writes here in several ways (see src/db/client.ts and
// src/db/errors.ts); this runs a real gateway process against a database of its own.
import postgres from "postgres";
import { afterAll, expect, it } from "vitest";
import { TEST_API_KEY } from "./harness.js";
import { gatewayEnv, GatewayProcess } from "./support/gateway-process.js";

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

it.runIf(Boolean(process.env.DATABASE_URL))(
  "answers 503 while its connections are cut under SCIM load, loses no answered create, and keeps serving",
  async () => {
    const g = await gatewayEnv({ DATABASE_POOL_SIZE: "4" });
    cleanup.push(() => g.dispose());
    const serve = GatewayProcess.start("serve", g.env);
    cleanup.push(() => serve.stop());
    const base = await serve.listening();
    const rest = async (path: string, body: unknown) =>
      (await fetch(`${base}${path}`, { method: "POST", headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" }, body: JSON.stringify(body) })).json() as Promise<any>;
    const org = await rest("/organizations", { name: "Cut Co" });
    const dir = await rest("/directories", { organization_id: org.id, type: "okta scim v2.0", name: "Cut" });
    const create = (n: number) =>
      fetch(`${dir.scim.base_url}/Users`, {
        method: "POST",
        headers: { authorization: `Bearer ${dir.scim.token}`, "content-type": "application/scim+json" },
        body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: `u${n}@cut.test`, emails: [{ value: `u${n}@cut.test`, primary: true }] }),
      });

    const admin = postgres(g.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    cleanup.push(() => admin.end({ timeout: 5 }));
    const cut = () => admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;

    const answered: string[] = [];
    const others: { status: number; retryAfter: string | null }[] = [];
    let next = 0;
    let stop = false;
    const client = async () => {
      while (!stop) {
        const res = await create(next++);
        const body = (await res.json()) as { id: string };
        if (res.status === 201) answered.push(body.id);
        else others.push({ status: res.status, retryAfter: res.headers.get("retry-after") });
      }
    };
    const clients = Array.from({ length: 8 }, client);
    // Cuts while idle in a transaction, mid-statement, while reconnecting and fetching types.
    const started = performance.now();
    for (const at of [700, 1400, 1450, 2100, 2800]) {
      await new Promise((r) => setTimeout(r, Math.max(0, started + at - performance.now())));
      await cut();
    }
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(clients);

    expect(serve.child.exitCode, serve.output.slice(-2000)).toBeNull();
    expect(answered.length).toBeGreaterThan(100);
    for (const other of others) expect(other).toEqual({ status: 503, retryAfter: "1" });
    const stored = new Set((await admin`select id from directory_users`).map((r) => r.id as string));
    expect(answered.filter((id) => !stored.has(id))).toEqual([]);
    // A create whose COMMIT landed as its connection was cut is the only kind stored without a 201.
    expect(stored.size - answered.length).toBeLessThanOrEqual(others.length);
    const [created] = await admin`select count(*)::int as n from events where event = 'dsync.user.created'`;
    expect(created!.n).toBe(stored.size);
    expect((await create(next++)).status).toBe(201);
  },
  60_000,
);
