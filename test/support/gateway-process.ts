// Runs the real gateway (src/main.ts) as child processes against one database, for crash and
// multi-process tests: a fresh file-backed PGlite folder, or a fresh Postgres database beside the
// one in DATABASE_URL (so other test files' rows and workers never mix in).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { buildDeps, type Deps } from "../../src/deps.js";
import { createLogger } from "../../src/log.js";
import { TEST_API_KEY, TEST_ENCRYPTION_KEY } from "../harness.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A database of its own plus the environment every gateway process gets. */
export interface GatewayEnv {
  env: Record<string, string>;
  kind: "pglite" | "postgres";
  /** Opens Deps on this database in the test process (close before starting PGlite children). */
  open(): Promise<{ deps: Deps; request: (method: string, path: string, body?: unknown) => Promise<any> }>;
  dispose(): Promise<void>;
}

export async function gatewayEnv(extra: Record<string, string> = {}): Promise<GatewayEnv> {
  const base: Record<string, string> = {
    DSYNC_API_KEY: TEST_API_KEY,
    DSYNC_ALLOW_PRIVATE_WEBHOOKS: "1",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    PORT: "0",
    HOST: "127.0.0.1",
    ...extra,
  };
  let dispose: () => Promise<void>;
  let kind: GatewayEnv["kind"];
  if (process.env.DATABASE_URL) {
    kind = "postgres";
    const name = `dsync_proc_${process.pid}_${Date.now()}`;
    const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${name}`;
    Object.assign(base, { DATABASE_URL: url.toString(), DSYNC_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, DSYNC_DATA_DIR: "memory://" });
    dispose = async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    };
  } else {
    kind = "pglite";
    // No DSYNC_ENCRYPTION_KEY: every process must find the key generated into the data folder.
    const dir = mkdtempSync(join(tmpdir(), "dsync-gateway-"));
    base.DSYNC_DATA_DIR = dir;
    dispose = async () => rmSync(dir, { recursive: true, force: true });
  }
  return {
    env: base,
    kind,
    async open() {
      const config = loadConfig(base);
      const deps = await buildDeps(config, createLogger(config.LOG_LEVEL));
      const app = createApp(deps);
      const request = async (method: string, path: string, body?: unknown) => {
        const res = await app.request(path, {
          method,
          headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
        return text ? JSON.parse(text) : undefined;
      };
      return { deps, request };
    },
    dispose: () => dispose(),
  };
}

/** One gateway process (`worker`, `serve` or `all`). */
export class GatewayProcess {
  output = "";
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on("data", (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  }

  /** node --import tsx directly (not npx), so a kill reaches the gateway itself. */
  static start(command: "worker" | "serve" | "all", env: Record<string, string>): GatewayProcess {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", command], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new GatewayProcess(child);
  }

  /** The base URL a `serve` or `all` process listens on, once it says so. */
  async listening(timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /listening on (\S+)/.exec(this.output);
      if (match) return match[1]!;
      if (Date.now() > deadline) throw new Error(`the gateway did not start: ${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** kill -9: no shutdown hook runs, claims stay leased, transactions are cut off. */
  async crash(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    await this.exited;
  }
}
