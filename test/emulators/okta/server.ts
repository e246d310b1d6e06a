// An Okta Management API emulator (idp-apis.md §3.8): SSWS and OAuth service-app auth, users, groups,
// group members and the System Log with Okta's Link-header paging, caps, filters, rate-limit headers
// and injectable 429s and 500s. The official @okta/okta-sdk-nodejs runs against it unchanged.
import { createVerify, randomBytes, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { OktaDirectory, type OktaGroup, type OktaUser } from "./directory.js";
import { compileOktaQuery, OktaQueryError, type Operator, type QueryPolicy } from "./query.js";

/** A request as the emulator received it, for tests that assert on parameters and headers. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
}

export interface OktaEmulatorOptions {
  /** The origin written into Link headers and _links (the emulator's own URL). */
  publicBaseUrl: string;
  directory?: OktaDirectory;
  accessTokenTtlSeconds?: number;
  rateLimit?: number;
}

/** The emulator's handle: its directory, injected faults and the requests it saw. */
export class OktaEmulator {
  readonly directory: OktaDirectory;
  readonly requests: RecordedRequest[] = [];
  readonly app: Hono;
  private throttled: { count: number; resetSeconds: number; duplicateReset: boolean } = { count: 0, resetSeconds: 1, duplicateReset: false };
  private failures = 0;
  private publicBaseUrl: string;
  private userList: { version: number; users: OktaUser[] } | null = null;

  constructor(private readonly options: OktaEmulatorOptions) {
    this.directory = options.directory ?? new OktaDirectory();
    this.publicBaseUrl = options.publicBaseUrl.replace(/\/+$/, "");
    this.app = this.routes();
  }

  setPublicBaseUrl(url: string): void {
    this.publicBaseUrl = url.replace(/\/+$/, "");
  }

  /** The next `count` API requests answer 429 E0000047, with X-Rate-Limit-Reset `resetSeconds` ahead. */
  throttle(count: number, resetSeconds = 1, duplicateReset = false): void {
    this.throttled = { count, resetSeconds, duplicateReset };
  }

  /** The next `count` API requests answer 500 E0000009 (which the SDK does not retry). */
  fail(count: number): void {
    this.failures = count;
  }

  /** Serves requests; repeated slashes are collapsed, as an SDK given a trailing-slash orgUrl sends them. */
  fetch = (request: Request): Response | Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname.includes("//")) {
      url.pathname = url.pathname.replace(/\/{2,}/g, "/");
      return this.app.fetch(new Request(url, request));
    }
    return this.app.fetch(request);
  };

  private routes(): Hono {
    const app = new Hono();
    const d = () => this.directory;

    app.use("*", async (c, next) => {
      this.requests.push({
        method: c.req.method,
        path: c.req.path,
        query: c.req.query(),
        headers: Object.fromEntries(c.req.raw.headers.entries()),
      });
      await next();
      c.header("X-Okta-Request-Id", randomBytes(12).toString("base64url"));
      // The SDK's 429 wait is Reset minus this Date, so both come from the fake clock.
      c.header("Date", new Date(d().now).toUTCString());
      if (!c.res.headers.has("X-Rate-Limit-Limit")) this.rateHeaders(c, 1);
    });

    app.post("/oauth2/v1/token", async (c) => this.issueToken(c));

    // Control surface for out-of-process users (the benchmark): `count` changes made now on the real
    // clock and logged like any edit: a membership added for every tenth, one removed for every
    // tenth, profile updates for the rest.
    app.post("/__emulator/churn", (c) => {
      const count = Number(c.req.query("count") ?? "1");
      d().now = Math.max(d().now, Date.now());
      const groupIds = [...d().groups.values()].filter((g) => g.type !== "BUILT_IN").map((g) => g.id);
      let changed = 0;
      for (const user of [...d().users.values()]) {
        if (changed >= count) break;
        const inGroup = (id: string) => d().members.get(id)!.has(user.id);
        const target = changed % 10 === 1 ? groupIds.find((id) => !inGroup(id)) : changed % 10 === 6 ? groupIds.find(inGroup) : undefined;
        if (target && changed % 10 === 1) d().addMember(target, user.id);
        else if (target) d().removeMember(target, user.id);
        else d().updateProfile(user.id, { title: `Churned ${changed}` });
        changed += 1;
      }
      return c.json({ changed });
    });

    app.use("/api/*", async (c, next) => {
      if (this.throttled.count > 0) {
        this.throttled.count -= 1;
        const reset = Math.ceil(d().now / 1000) + this.throttled.resetSeconds;
        c.header("X-Rate-Limit-Limit", "600");
        c.header("X-Rate-Limit-Remaining", "0");
        c.header("X-Rate-Limit-Reset", this.throttled.duplicateReset ? `${reset}, ${reset}` : String(reset));
        return oktaError(c, 429, "E0000047", "API call exceeded rate limit due to too many requests.");
      }
      if (this.failures > 0) {
        this.failures -= 1;
        return oktaError(c, 500, "E0000009", "Internal Server Error");
      }
      const scopes = this.authenticate(c.req.header("authorization"));
      if (!scopes) return oktaError(c, 401, "E0000011", "Invalid token provided");
      const needed = c.req.path.startsWith("/api/v1/logs") ? "okta.logs.read" : c.req.path.startsWith("/api/v1/groups") ? "okta.groups.read" : "okta.users.read";
      if (scopes !== "all" && !scopes.includes(needed)) {
        return oktaError(c, 403, "E0000006", "You do not have permission to perform the requested action");
      }
      await next();
    });

    app.onError((error, c) => {
      if (error instanceof OktaQueryError) return oktaError(c, 400, error.errorCode, error.message);
      return oktaError(c, 500, "E0000009", "Internal Server Error");
    });

    app.get("/api/v1/users", (c) => {
      const { filter, search, q } = c.req.query();
      let users = this.usersInOrder();
      if (q) {
        // q is a prefix match on names and e-mail, excludes DEPROVISIONED, defaults to 10, never pages.
        const prefix = q.toLowerCase();
        users = users.filter(
          (u) =>
            u.status !== "DEPROVISIONED" &&
            ["firstName", "lastName", "email", "login"].some((k) => String(u.profile[k] ?? "").toLowerCase().startsWith(prefix)),
        );
        return c.json(users.slice(0, cap(c.req.query("limit"), 10, 200)).map((u) => this.renderUser(u)));
      }
      const matches = filter ? compileOktaQuery(filter, userFilterPolicy) : search ? compileOktaQuery(search, userSearchPolicy) : (u: OktaUser) => u.status !== "DEPROVISIONED";
      return this.page(c, users, cap(c.req.query("limit"), 200, 200), (u) => this.renderUser(u), matches);
    });

    app.get("/api/v1/users/:id", (c) => {
      const id = c.req.param("id");
      const user = d().users.get(id) ?? [...d().users.values()].find((u) => u.profile.login === id);
      if (!user) return oktaError(c, 404, "E0000007", `Not found: Resource not found: ${id} (User)`);
      return c.json(this.renderUser(user));
    });

    app.get("/api/v1/groups", (c) => {
      const { filter, q, expand } = c.req.query();
      let groups = inIdOrder([...d().groups.values()]);
      if (filter) groups = groups.filter(compileOktaQuery(filter, groupFilterPolicy));
      if (q) groups = groups.filter((g) => String(g.profile.name).toLowerCase().startsWith(q.toLowerCase()));
      return this.page(c, groups, cap(c.req.query("limit"), 10_000, 10_000), (g) => this.renderGroup(g, expand === "stats"));
    });

    app.get("/api/v1/groups/:id", (c) => {
      const group = d().groups.get(c.req.param("id"));
      if (!group) return oktaError(c, 404, "E0000007", `Not found: Resource not found: ${c.req.param("id")} (UserGroup)`);
      return c.json(this.renderGroup(group, c.req.query("expand") === "stats"));
    });

    app.get("/api/v1/groups/:id/users", (c) => {
      const ids = d().members.get(c.req.param("id"));
      if (!ids) return oktaError(c, 404, "E0000007", `Not found: Resource not found: ${c.req.param("id")} (UserGroup)`);
      const users = [...ids].map((id) => d().users.get(id)!).sort((a, b) => (a.id < b.id ? -1 : 1));
      return this.page(c, users, cap(c.req.query("limit"), 1000, 1000), (u) => this.renderUser(u));
    });

    app.get("/api/v1/logs", (c) => this.logs(c));

    return app;
  }

  private rateHeaders(c: Context, used: number): void {
    const limit = this.options.rateLimit ?? 600;
    c.header("X-Rate-Limit-Limit", String(limit));
    c.header("X-Rate-Limit-Remaining", String(Math.max(0, limit - used)));
    c.header("X-Rate-Limit-Reset", String(Math.ceil(this.directory.now / 1000) + 60));
  }

  /** "all" for an SSWS token, the granted scopes for an OAuth access token, null when invalid. */
  private authenticate(header: string | undefined): "all" | string[] | null {
    if (!header) return null;
    const [scheme, token] = header.split(/\s+/, 2);
    if (scheme === "SSWS" && token && this.directory.apiTokens.has(token)) return "all";
    if ((scheme === "Bearer" || scheme === "DPoP") && token) {
      const grant = this.directory.accessTokens.get(token);
      if (grant && grant.expiresAt > this.directory.now) return grant.scopes;
    }
    return null;
  }

  /** client_credentials with a private_key_jwt client assertion (§3.1); the DPoP header is ignored. */
  private async issueToken(c: Context): Promise<Response> {
    const form = await c.req.parseBody();
    const oauthError = (error: string, description: string, status: 400 | 401 = 400) => c.json({ error, error_description: description }, status);
    if (form.grant_type !== "client_credentials") return oauthError("unsupported_grant_type", "The authorization grant type is not supported by the authorization server.");
    if (form.client_assertion_type !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || typeof form.client_assertion !== "string") {
      return oauthError("invalid_client", "A client_assertion is required.", 401);
    }
    const jwt = decodeJwt(form.client_assertion);
    const app = jwt && this.directory.serviceApps.get(String(jwt.claims.iss));
    if (!jwt || !app) return oauthError("invalid_client", "The client_assertion token is invalid or the client is unknown.", 401);
    const now = this.directory.now / 1000;
    if (jwt.claims.sub !== jwt.claims.iss) return oauthError("invalid_client", "The client_assertion sub must equal iss.", 401);
    if (jwt.claims.aud !== `${this.publicBaseUrl}/oauth2/v1/token`) return oauthError("invalid_client", "The audience of the client_assertion is invalid.", 401);
    if (typeof jwt.claims.exp !== "number" || jwt.claims.exp < now) return oauthError("invalid_client", "The client_assertion token is expired.", 401);
    if (!jwt.verify(app.publicKey)) return oauthError("invalid_client", "The client_assertion signature is invalid.", 401);
    const requested = String(form.scope ?? "").split(/\s+/).filter(Boolean);
    const refused = requested.filter((s) => !app.allowedScopes.includes(s));
    if (requested.length === 0 || refused.length > 0) {
      return oauthError("invalid_scope", `The following scopes are not allowed: ${refused.join(" ") || "(none requested)"}`);
    }
    const accessToken = `eyJ${randomBytes(24).toString("base64url")}`;
    const ttl = this.options.accessTokenTtlSeconds ?? 3600;
    this.directory.accessTokens.set(accessToken, { expiresAt: this.directory.now + ttl * 1000, scopes: requested });
    return c.json({ token_type: "Bearer", expires_in: ttl, access_token: accessToken, scope: requested.join(" ") });
  }

  /** The directory's users in id order: listed once per change of who exists, not once per page. */
  private usersInOrder(): OktaUser[] {
    const version = this.directory.usersVersion;
    if (this.userList?.version !== version) this.userList = { version, users: inIdOrder([...this.directory.users.values()]) };
    return this.userList.users;
  }

  /**
   * Okta paging: a bare array, `Link: <...>; rel="self"` always and `rel="next"` while more remain.
   * `sorted` is in id order; `matches` is applied lazily from the `after` position on, so a page of a
   * 100,000-user org costs about a page, not a filter and sort of the whole org.
   */
  private page<T extends { id: string }>(c: Context, sorted: T[], limit: number, render: (item: T) => unknown, matches: (item: T) => boolean = () => true): Response {
    const after = c.req.query("after");
    const slice: T[] = [];
    let more = false;
    for (let i = after ? firstAfter(sorted, after) : 0; i < sorted.length; i++) {
      if (!matches(sorted[i]!)) continue;
      if (slice.length === limit) {
        more = true;
        break;
      }
      slice.push(sorted[i]!);
    }
    c.header("Link", `<${this.selfUrl(c)}>; rel="self"`, { append: true });
    if (more) c.header("Link", `<${this.selfUrl(c, { after: slice.at(-1)!.id })}>; rel="next"`, { append: true });
    return c.json(slice.map(render));
  }

  /** The request's own URL on the public origin, with every query parameter kept. */
  private selfUrl(c: Context, changes: Record<string, string> = {}): string {
    const url = new URL(c.req.url);
    const out = new URL(`${this.publicBaseUrl}${url.pathname}`);
    url.searchParams.forEach((value, key) => out.searchParams.set(key, value));
    for (const [key, value] of Object.entries(changes)) out.searchParams.set(key, value);
    return out.toString();
  }

  /**
   * System Log: a bounded query (`until` given) ends with no next link; a polling query always has
   * one, and an empty page means "caught up". `after` is an opaque position in persistence order.
   */
  private logs(c: Context): Response {
    const { since, until, after, filter, sortOrder } = c.req.query();
    const limit = cap(c.req.query("limit"), 100, 1000);
    const now = this.directory.now;
    for (const [name, value] of Object.entries({ since, until })) {
      if (value !== undefined && Number.isNaN(Date.parse(value))) return oktaError(c, 400, "E0000030", `Invalid date format for ${name}`);
    }
    const matches = filter ? compileOktaQuery(filter, logFilterPolicy) : () => true;
    const from = after ? decodePosition(after) : -1;
    if (from === null) return oktaError(c, 400, "E0000001", "Api validation failed: after");
    const entries = this.directory.logs.map((event, position) => ({ event, position }));

    if (until !== undefined) {
      const end = Date.parse(until);
      const begin = since ? Date.parse(since) : end - 7 * 86_400_000;
      let selected = entries.filter(({ event, position }) => position > from && event.published >= begin && event.published < end && event.persisted <= now && matches(event));
      if (sortOrder === "DESCENDING") selected = selected.reverse();
      const page = selected.slice(0, limit);
      c.header("Link", `<${this.selfUrl(c)}>; rel="self"`, { append: true });
      if (selected.length > limit) c.header("Link", `<${this.selfUrl(c, { after: encodePosition(page.at(-1)!.position) })}>; rel="next"`, { append: true });
      return c.json(page.map(({ event }) => this.renderLog(event)));
    }

    const begin = since ? Date.parse(since) : now - 7 * 86_400_000;
    const visible = entries.filter(({ event, position }) => position > from && event.persisted <= now && event.persisted >= begin && matches(event));
    const page = visible.slice(0, limit);
    const cursor = page.length ? page.at(-1)!.position : from;
    c.header("Link", `<${this.selfUrl(c)}>; rel="self"`, { append: true });
    const nextParams: Record<string, string> = { after: encodePosition(cursor) };
    c.header("Link", `<${this.selfUrl(c, nextParams)}>; rel="next"`, { append: true });
    return c.json(page.map(({ event }) => this.renderLog(event)));
  }

  renderUser(user: OktaUser): Record<string, unknown> {
    return {
      id: user.id,
      status: user.status,
      created: iso(user.created),
      activated: iso(user.activated),
      statusChanged: iso(user.statusChanged),
      lastLogin: iso(user.lastLogin),
      lastUpdated: iso(user.lastUpdated),
      passwordChanged: iso(user.passwordChanged),
      type: { id: "oty1defaultusertype01" },
      profile: user.profile,
      credentials: { provider: { type: "OKTA", name: "OKTA" }, ...(user.passwordChanged ? { password: {} } : {}) },
      _links: { self: { href: `${this.publicBaseUrl}/api/v1/users/${user.id}` } },
    };
  }

  renderGroup(group: OktaGroup, stats = false): Record<string, unknown> {
    return {
      id: group.id,
      created: iso(group.created),
      lastUpdated: iso(group.lastUpdated),
      lastMembershipUpdated: iso(group.lastMembershipUpdated),
      objectClass: group.type === "APP_GROUP" ? ["okta:windows_security_principal"] : ["okta:user_group"],
      type: group.type,
      profile: group.profile,
      _links: {
        self: { href: `${this.publicBaseUrl}/api/v1/groups/${group.id}` },
        users: { href: `${this.publicBaseUrl}/api/v1/groups/${group.id}/users` },
      },
      ...(stats ? { _embedded: { stats: { usersCount: this.directory.members.get(group.id)?.size ?? 0 } } } : {}),
    };
  }

  private renderLog(event: OktaDirectory["logs"][number]): Record<string, unknown> {
    return {
      uuid: event.uuid,
      published: iso(event.published),
      eventType: event.eventType,
      version: "0",
      severity: "INFO",
      displayMessage: event.displayMessage,
      actor: OktaDirectory.actor,
      outcome: { result: "SUCCESS" },
      transaction: { type: "WEB", id: randomUUID().replace(/-/g, "").slice(0, 14), detail: {} },
      target: event.target,
    };
  }
}

function oktaError(c: Context, status: 400 | 401 | 403 | 404 | 429 | 500, errorCode: string, errorSummary: string): Response {
  const errorId = `oae${randomBytes(10).toString("base64url")}`;
  return c.json({ errorCode, errorSummary, errorLink: errorCode, errorId, errorCauses: [] }, status);
}

/** Okta caps an over-large limit instead of rejecting it. */
function cap(raw: string | undefined, fallback: number, max: number): number {
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? Math.min(n, max) : fallback;
}

/**
 * A time as Okta prints it. Users made together share their instants, and a group-member listing
 * prints every member whole (500,000 users in a large sync): the texts are kept, a bounded number.
 */
const isoTexts = new Map<number, string>();
function iso(ms: number | null): string | null {
  if (ms === null) return null;
  let text = isoTexts.get(ms);
  if (text === undefined) {
    if (isoTexts.size >= 10_000) isoTexts.clear();
    isoTexts.set(ms, (text = new Date(ms).toISOString()));
  }
  return text;
}
const encodePosition = (position: number) => Buffer.from(`log:${position}`).toString("base64url");
function decodePosition(token: string): number | null {
  const match = /^log:(-?\d+)$/.exec(Buffer.from(token, "base64url").toString());
  return match ? Number(match[1]) : null;
}

function decodeJwt(token: string): { claims: Record<string, unknown>; verify(key: import("node:crypto").KeyObject): boolean } | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString()) as { alg?: string };
    const claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString()) as Record<string, unknown>;
    return {
      claims,
      verify(key) {
        if (header.alg !== "RS256") return false;
        return createVerify("RSA-SHA256").update(`${parts[0]}.${parts[1]}`).verify(key, Buffer.from(parts[2]!, "base64url"));
      },
    };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- what each endpoint's query allows

const USER_FILTER_ATTRS = new Set(["status", "id", "profile.login", "profile.email", "profile.firstName", "profile.lastName"]);
const USER_DATES = new Set(["lastUpdated", "created", "activated", "statusChanged"]);
const RANGE: Operator[] = ["gt", "ge", "lt", "le"];

function readUser(user: OktaUser, attr: string): unknown {
  if (attr.startsWith("profile.")) return user.profile[attr.slice("profile.".length)];
  if (attr === "type.id") return "oty1defaultusertype01";
  return (user as unknown as Record<string, unknown>)[attr];
}

const userFilterPolicy: QueryPolicy<OktaUser> = {
  allows: (attr, op) => (attr === "lastUpdated" ? op === "eq" || RANGE.includes(op) : USER_FILTER_ATTRS.has(attr) && op === "eq"),
  read: readUser,
  isDate: (attr) => attr === "lastUpdated",
};

const userSearchPolicy: QueryPolicy<OktaUser> = {
  allows: (attr, op) => {
    if (USER_DATES.has(attr)) return op === "eq" || RANGE.includes(op);
    if (op === "co") return ["profile.firstName", "profile.lastName", "profile.email", "profile.login"].includes(attr);
    return (attr.startsWith("profile.") || attr === "id" || attr === "status" || attr === "type.id") && (op === "eq" || op === "sw");
  },
  read: readUser,
  isDate: (attr) => USER_DATES.has(attr),
};

const GROUP_DATES = new Set(["lastUpdated", "lastMembershipUpdated"]);
const groupFilterPolicy: QueryPolicy<OktaGroup> = {
  allows: (attr, op) => (GROUP_DATES.has(attr) ? op === "eq" || RANGE.includes(op) : (attr === "id" || attr === "type") && op === "eq"),
  read: (group, attr) => (group as unknown as Record<string, unknown>)[attr],
  isDate: (attr) => GROUP_DATES.has(attr),
};

const logFilterPolicy: QueryPolicy<OktaDirectory["logs"][number]> = {
  allows: (attr, op) => attr === "eventType" && (op === "eq" || op === "sw"),
  read: (event) => event.eventType,
  isDate: () => false,
};

/** `items` sorted by id (in place). Ids grow with creation and Maps keep insertion order, so they usually are already. */
function inIdOrder<T extends { id: string }>(items: T[]): T[] {
  for (let i = 1; i < items.length; i++) {
    if (items[i - 1]!.id > items[i]!.id) return items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  return items;
}

/** Index of the first item whose id is greater than `after` (binary search over sorted items). */
function firstAfter(sorted: { id: string }[], after: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.id > after) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Starts the emulator on a real port; `publicBaseUrl` defaults to that port on 127.0.0.1. */
export async function startOktaEmulator(options: Partial<OktaEmulatorOptions> & { port?: number } = {}): Promise<{ url: string; emulator: OktaEmulator; close(): Promise<void> }> {
  const emulator = new OktaEmulator({ publicBaseUrl: options.publicBaseUrl ?? "http://127.0.0.1", ...options });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: emulator.fetch, port: options.port ?? 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const url = options.publicBaseUrl ?? `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  emulator.setPublicBaseUrl(url);
  return { url, emulator, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
