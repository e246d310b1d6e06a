import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postWebhook } from "./post.js";

let server: Server;
let port: number;
let received = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    received += 1;
    req.resume();
    if (req.url === "/slow") return; // never answers
    if (req.url === "/redirect") return void res.writeHead(302, { location: "http://169.254.169.254/" }).end();
    res.writeHead(req.url === "/fail" ? 500 : 200).end(req.url === "/big" ? "x".repeat(5000) : "fine");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const post = (path: string, allowPrivate = true, host = "127.0.0.1") =>
  postWebhook(`http://${host}:${port}${path}`, { "content-type": "application/json" }, "{}", { timeoutMs: 200, allowPrivate });

describe("postWebhook", () => {
  it("returns the status, latency and the start of the body", async () => {
    expect(await post("/ok")).toMatchObject({ status: 200, snippet: "fine", error: null });
    expect(await post("/fail")).toMatchObject({ status: 500 });
    expect((await post("/big")).snippet).toHaveLength(1000);
  });

  it("gives up after the timeout", async () => {
    const result = await post("/slow");
    expect(result).toMatchObject({ status: null, error: "timed out after 200 ms" });
    expect(result.latencyMs).toBeGreaterThanOrEqual(190);
  });

  it("does not follow redirects", async () => {
    expect(await post("/redirect")).toMatchObject({ status: 302 });
  });

  it("refuses to connect to a private address unless allowed, for literals and resolved names", async () => {
    const before = received;
    expect(await post("/ok", false)).toMatchObject({ status: null, error: "refused private address" });
    expect(await post("/ok", false, "localhost")).toMatchObject({ status: null, error: expect.stringContaining("refused private address") });
    expect(received).toBe(before);
  });
});
