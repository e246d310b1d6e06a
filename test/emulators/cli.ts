// Runs an IdP emulator standalone, so anyone can try a pull sync without a tenant:
//   npm run emulator -- graph  --users 100000 [--groups 2000] [--members-per-group 250] [--port 4010]
//   npm run emulator -- google --users 100000 [--groups 2000] [--memberships-per-user 2] [--port 4020]
//   npm run emulator -- okta   --users 100000 [--groups 2000] [--memberships-per-user 3] [--port 4030]
// Prints the base URL, then the JSON to create a directory of the matching type with (credentials
// and settings), so `POST /directories` can take it as it is.
import { parseArgs } from "node:util";
import { startGoogleEmulator } from "./google/index.js";
import { GraphEmulator } from "./graph/index.js";
import { OktaDirectory } from "./okta/directory.js";
import { startOktaEmulator } from "./okta/server.js";

const USAGE = `usage: npm run emulator -- <graph|google|okta> [--users N] [--groups N] [--port N] [--host H]
  graph also takes [--members-per-group N] [--page-size N]; google and okta [--memberships-per-user N]`;

const [kind, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    users: { type: "string", default: "1000" },
    groups: { type: "string" },
    "members-per-group": { type: "string" },
    "memberships-per-user": { type: "string" },
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    "page-size": { type: "string", default: "200" },
  },
});
const users = Number(values.users);
const groups = values.groups !== undefined ? Number(values.groups) : Math.max(1, Math.round(users / 50));
const host = values.host;
const started = performance.now();
const perUser = values["memberships-per-user"] !== undefined ? Number(values["memberships-per-user"]) : undefined;
const seeded = () => `${users} users, ${groups} groups, seeded in ${Math.round(performance.now() - started)} ms`;

let stop: () => Promise<void>;
if (kind === "graph") {
  const perGroup = values["members-per-group"] !== undefined ? Number(values["members-per-group"]) : Math.min(users, 250);
  const emulator = new GraphEmulator({ deltaPageSize: Number(values["page-size"]) });
  emulator.tenant.seed({ users, groups, membersPerGroup: perGroup });
  const url = await emulator.listen(Number(values.port ?? 4010), host);
  console.log(`Graph emulator listening on ${url} (${seeded()})`);
  print({
    type: "azure graph",
    credentials: { tenant_id: emulator.tenantId, client_id: emulator.clientId, client_secret: emulator.clientSecret },
    settings: { graph_endpoint: url, login_authority: url },
  });
  stop = () => emulator.close();
} else if (kind === "google") {
  const emulator = await startGoogleEmulator({ port: Number(values.port ?? 4020), host, generate: { users, groups, ...(perUser !== undefined ? { membershipsPerUser: perUser } : {}) }, createServiceAccount: true });
  console.log(`Google Admin emulator listening on ${emulator.url} (${seeded()})`);
  print({
    type: "gsuite directory",
    credentials: { service_account_key: JSON.stringify(emulator.serviceAccount!.key), admin_email: emulator.generated!.adminEmail },
    settings: { api_root: emulator.url, token_url: emulator.tokenUrl },
  });
  stop = () => emulator.close();
} else if (kind === "okta") {
  const directory = new OktaDirectory();
  // Standalone, the org lives on the real clock, as the connector's cursors do. It is seeded an hour
  // back, so an incremental run right after a full one reads only what changed since (the connector
  // re-reads a few minutes before its cursor).
  directory.now = Date.now() - 3_600_000;
  directory.generate(users, groups, perUser);
  directory.now = Date.now();
  const token = directory.addApiToken();
  const emulator = await startOktaEmulator({ directory, port: Number(values.port ?? 4030) });
  console.log(`Okta emulator listening on ${emulator.url} (${seeded()})`);
  print({ type: "okta api", credentials: { org_url: emulator.url, api_token: token } });
  stop = () => emulator.close();
} else {
  console.error(USAGE);
  process.exit(2);
}

function print(directory: Record<string, unknown>): void {
  console.log(JSON.stringify(directory, null, 2));
}

const shutdown = () => void stop().then(() => process.exit(0));
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
