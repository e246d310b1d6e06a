// One harness for integration tests: real Deps on PGlite (in memory), or on Postgres when
// DATABASE_URL is set (CI runs both). Each test makes its own organization and directory.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { buildDeps, type Deps } from "../src/deps.js";
import { createLogger } from "../src/log.js";
import { stopBackgroundSyncs } from "../src/sync/scheduler.js";
import { waitForSettledFeed, type Clock, type DirectoryScope } from "../src/sync/index.js";

export const TEST_API_KEY = "sk_test_harness_0123456789abcdef";
export const TEST_ENCRYPTION_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
export const onPostgres = Boolean(process.env.DATABASE_URL);

/** A clock tests can move by hand. */
export class TestClock implements Clock {
  constructor(private current = new Date("2026-01-01T00:00:00.000Z")) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface Harness {
  deps: Deps;
  clock: TestClock;
  /** Calls the app in-process, authenticated with the operator key unless `auth` is false. */
  request(method: string, path: string, body?: unknown, options?: { auth?: boolean | string; headers?: Record<string, string> }): Promise<Response>;
  /** A JSON call that must succeed; returns the parsed body. */
  json<T = any>(method: string, path: string, body?: unknown): Promise<T>;
  /** A fresh organization with one directory of the given type. */
  directory(type?: string): Promise<DirectoryScope>;
  /**
   * Waits until every transaction running now has ended, so the event feed shows all that has
   * committed (on Postgres, other test files' transactions hold it back for a moment).
   */
  settle(): Promise<void>;
  /** Starts a real HTTP server on a free port; closed by close(). */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function createHarness(env: Record<string, string> = {}): Promise<Harness> {
  const config = loadConfig({
    DSYNC_DATA_DIR: "memory://",
    DATABASE_URL: process.env.DATABASE_URL,
    DATABASE_POOL_SIZE: "8",
    DSYNC_API_KEY: TEST_API_KEY,
    // A fixed key: Postgres refuses to start without one (see src/crypto/secret-box.ts).
    DSYNC_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...env,
  });
  const clock = new TestClock();
  const deps = await buildDeps(config, createLogger(config.LOG_LEVEL), clock);
  const app = createApp(deps);
  const servers: ReturnType<typeof serve>[] = [];

  const request: Harness["request"] = (method, path, body, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.auth !== false) headers.authorization = `Bearer ${typeof options.auth === "string" ? options.auth : TEST_API_KEY}`;
    if (body !== undefined && !headers["content-type"]) headers["content-type"] = "application/json";
    return Promise.resolve(
      app.request(path, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) }),
    );
  };

  const json: Harness["json"] = async (method, path, body) => {
    const res = await request(method, path, body);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };

  return {
    deps,
    clock,
    request,
    json,
    async directory(type = "generic scim v2.0") {
      const org = await json("POST", "/organizations", { name: "Acme" });
      const dir = await json("POST", "/directories", { organization_id: org.id, type, name: "Acme directory" });
      return { organizationId: org.id, directoryId: dir.id };
    },
    settle: () => waitForSettledFeed(deps.db),
    async listen() {
      const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
      });
      servers.push(server);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // As main.ts does: links the app hands out name the port actually bound.
      if (!env.DSYNC_BASE_URL) deps.config.DSYNC_BASE_URL = url;
      return url;
    },
    async close() {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      await stopBackgroundSyncs(deps);
      await deps.database.close();
    },
  };
}
