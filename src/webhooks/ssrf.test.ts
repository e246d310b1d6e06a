import { describe, expect, it } from "vitest";
import { checkWebhookUrl, isForbiddenAddress } from "./ssrf.js";

describe("isForbiddenAddress", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["10.1.2.3", true],
    ["172.16.0.1", true],
    ["172.31.255.255", true],
    ["192.168.1.1", true],
    ["169.254.169.254", true],
    ["100.100.100.200", true],
    ["0.0.0.0", true],
    ["::1", true],
    ["::", true],
    ["fe80::1", true],
    ["fd00:ec2::254", true],
    ["::ffff:10.0.0.1", true],
    ["::ffff:127.0.0.1", true],
    ["not an ip", true],
    ["8.8.8.8", false],
    ["172.32.0.1", false],
    ["93.184.215.14", false],
    ["2606:4700::1111", false],
    ["::ffff:8.8.8.8", false],
  ])("%s -> %s", (address, forbidden) => {
    expect(isForbiddenAddress(address)).toBe(forbidden);
  });
});

describe("checkWebhookUrl", () => {
  const resolve = async (host: string) =>
    ({ "hooks.example.com": ["93.184.215.14"], "internal.example.com": ["93.184.215.14", "10.0.0.5"], "metadata.google.internal": ["169.254.169.254"] })[host] ??
    Promise.reject(new Error("ENOTFOUND"));

  it.each([
    ["https://hooks.example.com/dsync", null],
    ["http://hooks.example.com/dsync", "must use https"],
    ["https://internal.example.com/", "private"],
    ["https://metadata.google.internal/computeMetadata/v1/", "private"],
    ["https://169.254.169.254/latest/meta-data/", "private"],
    ["https://127.0.0.1/", "private"],
    ["https://[::1]/", "private"],
    ["https://[::ffff:192.168.0.1]/", "private"],
    ["https://nowhere.example.com/", "does not resolve"],
    ["https://user:pass@hooks.example.com/", "credentials"],
    ["ftp://hooks.example.com/", "http(s)"],
    ["not a url", "absolute URL"],
  ])("%s", async (url, refusal) => {
    const verdict = await checkWebhookUrl(url, { allowPrivate: false, resolve });
    if (refusal === null) expect(verdict.ok).toBe(true);
    else expect(verdict).toMatchObject({ ok: false, reason: expect.stringContaining(refusal) });
  });

  it("allows plain http and private addresses when the operator setting is on", async () => {
    expect((await checkWebhookUrl("http://127.0.0.1:3000/hooks", { allowPrivate: true, resolve })).ok).toBe(true);
  });
});
