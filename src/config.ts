// The gateway's configuration: read from the environment once, at start-up, and validated with zod.
// Nothing else reads process.env; everything below receives a Config.
import { z } from "zod";

const port = z.coerce
  .number({ message: "must be a number" })
  .int("must be a whole number")
  .min(0, "must be between 0 and 65535")
  .max(65535, "must be between 0 and 65535");

const configSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** Public URL of this gateway, used in printed and returned links (SCIM base URLs, portal links). */
  DSYNC_BASE_URL: z
    .url({ message: "must be an absolute http(s) URL" })
    .refine((u) => /^https?:\/\//.test(u), "must start with http:// or https://")
    .transform((u) => u.replace(/\/+$/, ""))
    .optional(),
  DSYNC_DATA_DIR: z.string().min(1).default("./.data"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, "must be a postgres:// or postgresql:// URL")
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** How far the heap may grow past what the last full collection kept, in percent (runtime.ts); 0 = V8's own policy. */
  DSYNC_HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(300).default(100),
  DSYNC_API_KEY: z.string().min(16, "must be at least 16 characters").optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** 32-byte key (base64 or hex) that encrypts stored secrets; required with DATABASE_URL (see crypto/secret-box.ts). */
  DSYNC_ENCRYPTION_KEY: z
    .string()
    .refine((v) => /^[0-9a-fA-F]{64}$/.test(v) || Buffer.from(v, "base64").length === 32, "must be 32 bytes, as 64 hex digits or base64")
    .optional(),
  /** Development and tests only: allow webhook URLs on private addresses and plain http. */
  DSYNC_ALLOW_PRIVATE_WEBHOOKS: z.enum(["1", "0", "true", "false"], { message: "must be 1 or 0" }).default("0").transform((v) => v === "1" || v === "true"),
  /**
   * Development and tests only: let portal admins point pull directories (Okta org URL, Graph and
   * Google endpoints) at private addresses and plain http, e.g. the emulators.
   */
  DSYNC_PORTAL_ALLOW_PRIVATE_ENDPOINTS: z.enum(["1", "0", "true", "false"], { message: "must be 1 or 0" }).default("0").transform((v) => v === "1" || v === "true"),
  DSYNC_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Attempts before a delivery is marked failed; the default backoff spreads 18 over about three days. */
  DSYNC_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(18),
  /** An endpoint is disabled after this many consecutive failed attempts ... */
  DSYNC_WEBHOOK_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).default(20),
  /** ... once it has been failing for at least this many hours (a brief outage never disables it). */
  DSYNC_WEBHOOK_DISABLE_AFTER_HOURS: z.coerce.number().min(0).default(6),
  DSYNC_WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  DSYNC_WEBHOOK_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(50),
  /** SCIM requests per second each directory may make (token bucket refill rate); over it, 429. */
  DSYNC_SCIM_RATE_PER_SEC: z.coerce.number().positive().default(1000),
  /** Requests a directory may make at once before the rate applies (token bucket size). */
  DSYNC_SCIM_BURST: z.coerce.number().int().min(1).default(2000),
  /** Largest SCIM request body accepted, in bytes; larger ones get 413. */
  DSYNC_SCIM_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  /** How often the pull-sync scheduler looks for due directories. */
  DSYNC_SYNC_POLL_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  /** A sync run's lease; renewed after every page, so only a dead worker's run outlives it. */
  DSYNC_SYNC_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(300),
});

/** The validated configuration; field names match the environment variables they come from. */
export type Config = z.infer<typeof configSchema>;

/** Thrown when the environment is invalid; its message is one line naming the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", as it does for most twelve-factor apps.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = configSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? "environment");
  const shown = name in present && !/KEY|SECRET|PASSWORD|URL/.test(name) ? ` (got ${JSON.stringify(present[name])})` : "";
  throw new ConfigError(`invalid configuration: ${name} ${issue.message}${shown}`);
}

/** The URL people use to reach this gateway, for messages and generated links. */
export function baseUrl(config: Config, boundPort = config.PORT): string {
  if (config.DSYNC_BASE_URL) return config.DSYNC_BASE_URL;
  const host = config.HOST === "0.0.0.0" || config.HOST === "::" ? "localhost" : config.HOST;
  return `http://${host}:${boundPort}`;
}
