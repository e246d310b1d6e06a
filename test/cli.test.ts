// `npm start` as a new user runs it: src/main.ts in a child process, on a fresh store.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onPostgres } from "./harness.js";

const TSX = join(process.cwd(), "node_modules/.bin/tsx");
let store: Record<string, string>;
let cleanup: () => Promise<void>;

/** A fresh, empty store: a PGlite data folder, or a new Postgres database in the CI run. */
beforeAll(async () => {
  if (onPostgres) {
    const name = `dsync_cli_${process.pid}_${Date.now()}`;
    const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${name}`;
    // A deployment on Postgres must bring its own encryption key for stored secrets.
    store = { DATABASE_URL: url.toString(), DSYNC_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64") };
    cleanup = async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    };
  } else {
    const dir = mkdtempSync(join(tmpdir(), "dsync-cli-"));
    store = { DSYNC_DATA_DIR: join(dir, "data") };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
});
afterAll(() => cleanup());

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { DATABASE_URL: _ignored, ...rest } = process.env;
  return { ...rest, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn", ...store, ...extra };
}

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function start(args: string[], extra: Record<string, string> = {}): Promise<Started> {
  const child = spawn(TSX, ["src/main.ts", ...args], { env: env(extra), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 40 s:\n${out}`)), 40_000);
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(out);
      // The key banner is printed right after the listening line, in the same tick.
      if (match) setTimeout(() => (clearTimeout(timer), resolve({ child, url: match[1]!, output: () => out })), 200);
    };
    child.stdout!.on("data", check);
    // Wait for the streams to close so the reason for an early exit is in the message.
    child.on("close", (code) => reject(new Error(`exited with ${code}:\n${out}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners("close");
    child.on("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

describe("src/main.ts", () => {
  it("starts on a fresh store, prints the URL and a one-time operator key, and serves with it", async () => {
    const first = await start(["all"], { DSYNC_API_KEY: "sk_from_environment_0123456789" });
    const key = /\n\s+(sk_[A-Za-z0-9_-]{20,})\n/.exec(first.output())?.[1];
    expect(key, first.output()).toBeDefined();
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${first.url}/directories`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await fetch(`${first.url}/directories`, { headers: { authorization: "Bearer sk_from_environment_0123456789" } })).status).toBe(200);
    expect((await fetch(`${first.url}/directories`, { headers: { authorization: "Bearer sk_guess" } })).status).toBe(401);
    expect(await stop(first.child)).toBe(0);

    const second = await start(["serve"]);
    expect(second.output()).not.toContain("Operator API key");
    expect((await fetch(`${second.url}/directories`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect(await stop(second.child)).toBe(0);
  }, 90_000);

  it("stops with one clear line naming a bad variable", () => {
    const result = spawnSync(TSX, ["src/main.ts", "all"], { env: env({ PORT: "eighty" }), encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('invalid configuration: PORT must be a number (got "eighty")');
  }, 30_000);

  it("applies migrations with `migrate` and rejects an unknown command", () => {
    const migrate = spawnSync(TSX, ["src/main.ts", "migrate"], { env: env(), encoding: "utf8" });
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(/migrations applied \((pglite|postgres)\)/);
    const unknown = spawnSync(TSX, ["src/main.ts", "frobnicate"], { env: env(), encoding: "utf8" });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown command: frobnicate");
  }, 60_000);
});
