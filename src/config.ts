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
  DSYNC_API_KEY: z.string().min(16, "must be at least 16 characters").optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
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
