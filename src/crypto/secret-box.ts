// Encryption at rest for secrets the gateway must read back (webhook signing secrets, connector
// credentials): AES-256-GCM with a random 12-byte IV, in a versioned text format. It owns the key's
// loading rules too; it never logs or returns a key or a plaintext anywhere else.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, type Config } from "../config.js";

/** The 32-byte data-encryption key; opaque outside this module. */
export interface EncryptionKey {
  readonly bytes: Buffer;
}

// "v1" names the algorithm and layout, so a later version (another cipher, a key id for rotation)
// can be read beside old rows.
const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Reads a key written as 64 hex digits or as base64 of 32 bytes. */
export function parseEncryptionKey(text: string): EncryptionKey {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
  if (bytes.length !== 32) throw new ConfigError("invalid configuration: DSYNC_ENCRYPTION_KEY must be 32 bytes, as 64 hex digits or base64");
  return { bytes };
}

export function generateEncryptionKey(): EncryptionKey {
  return { bytes: randomBytes(32) };
}

/**
 * Encrypts `plaintext`. `context` (e.g. the owning row's id) is bound as associated data, so a
 * ciphertext copied onto another row fails to decrypt instead of silently working there.
 */
export function encryptSecret(key: EncryptionKey, plaintext: string, context = ""): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.bytes, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url")}`;
}

/** Decrypts what encryptSecret wrote with the same key and context; throws if either differs. */
export function decryptSecret(key: EncryptionKey, box: string, context = ""): string {
  const [version, payload] = box.split(":", 2);
  if (version !== VERSION || !payload) throw new Error(`secret-box: unknown format ${JSON.stringify(version)}`);
  const raw = Buffer.from(payload, "base64url");
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error("secret-box: ciphertext too short");
  const decipher = createDecipheriv("aes-256-gcm", key.bytes, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString("utf8");
}

/**
 * The key to use: DSYNC_ENCRYPTION_KEY when set. Otherwise, on embedded PGlite, a key generated
 * once into <DSYNC_DATA_DIR>/encryption.key (mode 0600) and reused, since it lives beside the data
 * it protects; an in-memory database gets a throwaway key. On Postgres there is no safe place to
 * invent one (every process must share it), so start-up stops with one line naming the variable.
 */
export function loadEncryptionKey(config: Config): EncryptionKey {
  if (config.DSYNC_ENCRYPTION_KEY) return parseEncryptionKey(config.DSYNC_ENCRYPTION_KEY);
  if (config.DATABASE_URL) {
    throw new ConfigError(
      "invalid configuration: DSYNC_ENCRYPTION_KEY is required with DATABASE_URL (32 bytes as base64 or hex, e.g. `openssl rand -base64 32`)",
    );
  }
  if (config.DSYNC_DATA_DIR.startsWith("memory://")) return generateEncryptionKey();
  const file = join(config.DSYNC_DATA_DIR, "encryption.key");
  if (existsSync(file)) return parseEncryptionKey(readFileSync(file, "utf8"));
  mkdirSync(config.DSYNC_DATA_DIR, { recursive: true });
  const key = generateEncryptionKey();
  // "wx" fails if another process created it meanwhile; then that one's key is the key.
  try {
    writeFileSync(file, `${key.bytes.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return parseEncryptionKey(readFileSync(file, "utf8"));
    throw error;
  }
  chmodSync(file, 0o600);
  return key;
}
