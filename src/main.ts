// The one entry point: `serve` (HTTP), `worker` (background jobs), `all` (both; what `npm start`
// runs), `migrate`, and `api-key create [name]`.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import { createApiKey, ensureInitialApiKey } from "./auth/api-keys.js";
import { ConfigError, baseUrl, loadConfig, type Config } from "./config.js";
import { openDatabase } from "./db/client.js";
import { outlivingLostConnections } from "./db/errors.js";
import { buildDeps, type Deps } from "./deps.js";
import { createLogger } from "./log.js";
import { applyRuntimeSettings } from "./runtime.js";
import { stopBackgroundSyncs } from "./sync/scheduler.js";
import { startWorker } from "./worker.js";

const USAGE = `usage: tsx src/main.ts <command>

commands:
  all                  HTTP server and background worker in one process (default; npm start)
  serve                HTTP server only: REST API and health check
  worker               background worker only
  migrate              apply database migrations and exit
  api-key create [name]  mint a new operator API key and print it once`;

async function main(argv: string[]): Promise<void> {
  const [command = "all", ...rest] = argv;
  if (command === "help" || command === "--help" || command === "-h") return void console.log(USAGE);
  if (!["all", "serve", "worker", "migrate", "api-key"].includes(command)) {
    console.error(`unknown command: ${command}\n\n${USAGE}`);
    process.exit(2);
  }

  const config = loadConfig();
  applyRuntimeSettings(config);
  const log = createLogger(config.LOG_LEVEL);
  process.on("unhandledRejection", outlivingLostConnections((err) => log.warn({ err }, "database connection lost inside the driver; it reconnects")));

  if (command === "migrate") {
    const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DSYNC_DATA_DIR });
    await database.migrate();
    await database.close();
    return void console.log(`migrations applied (${database.kind})`);
  }

  const deps = await buildDeps(config, log);

  if (command === "api-key") {
    if (rest[0] !== "create") {
      console.error(`usage: api-key create [name]`);
      process.exit(2);
    }
    const created = await createApiKey(deps.db, rest[1] ?? "operator", deps.clock.now());
    await deps.database.close();
    return void console.log(`API key ${created.id} (${created.name}); shown once, store it now:\n${created.key}`);
  }

  const stops: (() => Promise<void>)[] = [];
  if (command === "all" || command === "serve") stops.push(await startHttp(deps, config));
  if (command === "all" || command === "worker") stops.push(startWorker(deps).stop);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    for (const stop of stops.reverse()) await stop();
    // Syncs started through POST /sync run in this process; stop them before the database goes.
    await stopBackgroundSyncs(deps);
    await deps.database.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

async function startHttp(deps: Deps, config: Config): Promise<() => Promise<void>> {
  const initialKey = await ensureInitialApiKey(deps.db, deps.clock.now());
  const app = createApp(deps);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, () => resolve(s));
  });
  const url = baseUrl(config, (server.address() as AddressInfo).port);
  // Links the gateway hands out (SCIM base URLs, setup links) must name the port actually bound
  // (PORT=0 picks one), so the URL is fixed now that it is known.
  config.DSYNC_BASE_URL ??= url;
  console.log(`dsync gateway listening on ${url} (database: ${deps.database.kind})`);
  if (initialKey) {
    console.log(`\nOperator API key (shown once, stored hashed; keep it now):\n\n  ${initialKey.key}\n`);
    console.log(`Try: curl -H "Authorization: Bearer ${initialKey.key}" ${url}/directories\n`);
  }
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // After the last request has been answered: its request-log entry is written, not dropped.
    await app.drain();
  };
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error(`dsync gateway failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  process.exit(1);
});
