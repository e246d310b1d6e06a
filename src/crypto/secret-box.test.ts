import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { decryptSecret, encryptSecret, generateEncryptionKey, loadEncryptionKey, parseEncryptionKey } from "./secret-box.js";

describe("secret-box", () => {
  const key = generateEncryptionKey();

  it("round-trips a secret, with a fresh IV each time", () => {
    const a = encryptSecret(key, "whsec_abc", "row_1");
    const b = encryptSecret(key, "whsec_abc", "row_1");
    expect(a).toMatch(/^v1:/);
    expect(a).not.toBe(b);
    expect(a).not.toContain("whsec_abc");
    expect(decryptSecret(key, a, "row_1")).toBe("whsec_abc");
  });

  it("refuses a tampered ciphertext, another key, another row's context and an unknown version", () => {
    const box = encryptSecret(key, "s3cret", "row_1");
    const flipped = box.slice(0, -2) + (box.at(-2) === "A" ? "B" : "A") + box.at(-1);
    expect(() => decryptSecret(key, flipped, "row_1")).toThrow();
    expect(() => decryptSecret(generateEncryptionKey(), box, "row_1")).toThrow();
    expect(() => decryptSecret(key, box, "row_2")).toThrow();
    expect(() => decryptSecret(key, box.replace(/^v1/, "v9"), "row_1")).toThrow(/unknown format/);
  });

  it("reads a key as hex or base64 and rejects other lengths", () => {
    const hex = "ab".repeat(32);
    expect(parseEncryptionKey(hex).bytes).toEqual(Buffer.from(hex, "hex"));
    expect(parseEncryptionKey(Buffer.alloc(32, 7).toString("base64")).bytes).toEqual(Buffer.alloc(32, 7));
    expect(() => loadConfig({ DSYNC_ENCRYPTION_KEY: "tooshort" })).toThrow(/DSYNC_ENCRYPTION_KEY/);
  });

  it("generates a key file (mode 0600) in the PGlite data folder on first start and reuses it", () => {
    const dir = mkdtempSync(join(tmpdir(), "dsync-key-"));
    const config = loadConfig({ DSYNC_DATA_DIR: dir });
    const first = loadEncryptionKey(config);
    const file = join(dir, "encryption.key");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseEncryptionKey(readFileSync(file, "utf8")).bytes).toEqual(first.bytes);
    expect(loadEncryptionKey(config).bytes).toEqual(first.bytes);
  });

  it("refuses to start on Postgres without DSYNC_ENCRYPTION_KEY, naming it in one line", () => {
    const config = loadConfig({ DATABASE_URL: "postgres://localhost/x" });
    expect(() => loadEncryptionKey(config)).toThrow(/^invalid configuration: DSYNC_ENCRYPTION_KEY is required with DATABASE_URL[^\n]*$/);
  });
});
