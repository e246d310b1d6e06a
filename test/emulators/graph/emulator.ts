// A Microsoft Graph (Entra ID) emulator faithful to /work/shared/design/idp-apis.md §1: the
// client-credentials token endpoint, v1.0 users / groups / members / transitiveMembers (nested
// groups are members too), users and groups delta with
// skip and delta tokens, @removed markers, members@delta split across pages, $select and $top rules,
// token expiry on a fake clock, 410 / expired delta tokens, and injectable throttling and failures.
// Links are absolute and built from the public base URL, as the real service's are.
import { randomBytes, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { GROUP_DEFAULT_SELECT, GROUP_PROPERTIES, GraphTenant, USER_DEFAULT_SELECT, USER_PROPERTIES, type GraphObject } from "./store.js";

export interface GraphEmulatorOptions {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Objects per delta page (the server decides delta page size; $top is ignored there). */
  deltaPageSize?: number;
  /** Member links per delta page; a group with more is split, its id repeated on several pages. */
  deltaLinkCap?: number;
  tokenLifetimeSeconds?: number;
  /** Delta tokens older than this answer 400 syncStateNotFound (Graph: 7 days). */
  deltaTokenLifetimeMs?: number;
}

/** One injected failure: the next `count` requests whose path contains `path` get `status`. */
interface Injection {
  status: number;
  count: number;
  retryAfter?: number;
  path?: string;
}

export interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | null;
  at: number;
}

type Resource = "users" | "groups";

/** A delta or skip token's content; opaque to clients (base64url). */
interface RoundState {
  r: Resource;
  /** Journal position the round reports changes after; null for an initial round. */
  p: number | null;
  /** Journal position at the round's start: the next delta token's position. */
  q: number;
  /** Offset into the round's item list. */
  o: number;
  s: string | null;
  /** When the round (or, in a delta token, the token) was issued, on the emulator clock. */
  t: number;
}

const SYNC_RESET_MESSAGE = "The sync state generation is not found. The delta token is expired and data must be synchronized again.";

export class GraphEmulator {
  readonly tenant = new GraphTenant();
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly requests: RecordedRequest[] = [];
  readonly app = new Hono();
  /** Public base URL written into links; set by listen() unless given. */
  publicBaseUrl = "https://graph.microsoft.com";
  /** The casing of delta reset codes (Graph is inconsistent; connectors must not care). */
  resetCodeCasing: "camel" | "pascal" = "camel";
  private offsetMs = 0;
  private readonly tokens = new Map<string, number>();
  private injections: Injection[] = [];
  private forceResyncPending = false;
  private server: ReturnType<typeof serve> | null = null;
  private readonly options: Required<Pick<GraphEmulatorOptions, "deltaPageSize" | "deltaLinkCap" | "tokenLifetimeSeconds" | "deltaTokenLifetimeMs">>;
  /** perRound's last list of each kind, with the round and tenant state it was built for. */
  private readonly rounds = new Map<string, { key: string; value: unknown }>();

  constructor(options: GraphEmulatorOptions = {}) {
    this.tenantId = options.tenantId ?? randomUUID();
    this.clientId = options.clientId ?? randomUUID();
    this.clientSecret = options.clientSecret ?? `secret~${randomBytes(18).toString("base64url")}`;
    this.options = {
      deltaPageSize: options.deltaPageSize ?? 100,
      deltaLinkCap: options.deltaLinkCap ?? 500,
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3599,
      deltaTokenLifetimeMs: options.deltaTokenLifetimeMs ?? 7 * 24 * 3600 * 1000,
    };
    this.routes();
  }

  // ------------------------------------------------------------------ control surface (tests)

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves the emulator's clock (token and delta-token expiry) forward. */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** The next `count` requests (optionally only those whose path contains `path`) get 429 / 503 with Retry-After. */
  throttle(count: number, options: { status?: 429 | 503 | 504; retryAfter?: number; path?: string } = {}): void {
    this.injections.push({ status: options.status ?? 429, count, retryAfter: options.retryAfter ?? 1, ...(options.path ? { path: options.path } : {}) });
  }

  /** The next `count` matching requests fail with `status` (default 500) and no Retry-After. */
  fail(count: number, options: { status?: number; path?: string } = {}): void {
    this.injections.push({ status: options.status ?? 500, count, ...(options.path ? { path: options.path } : {}) });
  }

  /** The next request carrying a delta or skip token gets 410 Gone with a fresh initial link. */
  forceResync(): void {
    this.forceResyncPending = true;
  }

  async listen(port = 0, hostname = "127.0.0.1", publicBaseUrl?: string): Promise<string> {
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: this.app.fetch, port, hostname }, () => resolve(s));
    });
    this.server = server;
    const url = `http://${hostname}:${(server.address() as AddressInfo).port}`;
    this.publicBaseUrl = publicBaseUrl ?? url;
    return url;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise((r) => server.close(r));
  }

  // ------------------------------------------------------------------ routes

  private routes(): void {
    // Control surface for out-of-process users (the benchmark): change N users, journaled like any edit.
    this.app.post("/__emulator/churn", (c) => {
      const count = Number(c.req.query("count") ?? "1");
      let changed = 0;
      for (const id of this.tenant.users.keys()) {
        if (changed >= count) break;
        this.tenant.updateUser(id, { jobTitle: `Churned ${this.tenant.journal.length}` });
        changed += 1;
      }
      return c.json({ changed });
    });
    this.app.post("/:tenant/oauth2/v2.0/token", (c) => this.token(c));
    this.app.all("/v1.0/*", async (c) => {
      const url = new URL(c.req.url);
      this.requests.push({ method: c.req.method, url: url.pathname + url.search, authorization: c.req.header("authorization") ?? null, at: this.now() });
      const injected = this.takeInjection(url.pathname);
      if (injected) return injected;
      const auth = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "");
      const expires = auth ? this.tokens.get(auth[1]!) : undefined;
      if (expires === undefined) return graphError(401, "InvalidAuthenticationToken", "Access token is empty or invalid.");
      if (expires <= this.now()) return graphError(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.");
      if (c.req.method === "POST" && url.pathname === "/v1.0/$batch") return this.batch(await c.req.json().catch(() => null));
      if (c.req.method !== "GET") return graphError(405, "Request_BadRequest", "The emulator is read-only.");
      return this.dispatch(url);
    });
  }

  private async token(c: Context): Promise<Response> {
    const form = new URLSearchParams(await c.req.text());
    const aad = (status: number, error: string, code: number, description: string) =>
      Response.json(
        {
          error,
          error_description: `AADSTS${code}: ${description}`,
          error_codes: [code],
          timestamp: new Date(this.now()).toISOString().replace("T", " ").slice(0, 19) + "Z",
          trace_id: randomUUID(),
          correlation_id: randomUUID(),
          error_uri: `https://login.microsoftonline.com/error?code=${code}`,
        },
        { status },
      );
    if (c.req.param("tenant") !== this.tenantId) return aad(400, "invalid_request", 90002, `Tenant '${c.req.param("tenant")}' not found.`);
    if (form.get("grant_type") !== "client_credentials") return aad(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
    if (form.get("client_id") !== this.clientId) return aad(400, "unauthorized_client", 700016, `Application with identifier '${form.get("client_id")}' was not found in the directory.`);
    if (form.get("client_secret") !== this.clientSecret) return aad(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.");
    const scope = form.get("scope") ?? "";
    if (scope !== "https://graph.microsoft.com/.default" && scope !== `${this.publicBaseUrl}/.default`) {
      return aad(400, "invalid_scope", 1002012, `The provided value for scope ${scope} is not valid.`);
    }
    const token = `emu.${randomBytes(24).toString("base64url")}`;
    const lifetime = this.options.tokenLifetimeSeconds;
    this.tokens.set(token, this.now() + lifetime * 1000);
    return c.json({ token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: token });
  }

  private takeInjection(path: string): Response | null {
    const injection = this.injections.find((i) => i.count > 0 && (!i.path || path.includes(i.path)));
    if (!injection) return null;
    injection.count -= 1;
    this.injections = this.injections.filter((i) => i.count > 0);
    const headers: Record<string, string> = {};
    if (injection.retryAfter !== undefined) headers["retry-after"] = String(injection.retryAfter);
    if (injection.status === 429) {
      headers["x-ms-throttle-scope"] = `Tenant_Application/Read/${this.clientId}/${this.tenantId}`;
      headers["x-ms-throttle-information"] = "ResourceUnitLimitExceeded";
      return graphError(429, "TooManyRequests", "Too many requests.", headers);
    }
    if (injection.status === 503) return graphError(503, "serviceNotAvailable", "The service is temporarily unavailable.", headers);
    return graphError(injection.status, "generalException", "An unexpected error occurred.", headers);
  }

  private dispatch(url: URL): Response {
    const query = lowerKeys(url.searchParams);
    const parts = url.pathname.replace(/^\/v1\.0\//, "").split("/").filter(Boolean);
    const [collection, second, third, fourth] = parts;
    if (collection !== "users" && collection !== "groups") return graphError(400, "Request_BadRequest", `Resource not found for the segment '${collection}'.`);
    if (second && /^(delta|delta\(\)|microsoft\.graph\.delta(\(\))?)$/.test(second) && !third) return this.delta(collection, query);
    if (!second) return this.list(collection, query);
    if (collection === "users" && third === "manager" && !fourth) return this.managerOf(second!, query);
    if (collection === "users" && !third) {
      const user = this.tenant.users.get(second);
      if (!user) return graphError(404, "Request_ResourceNotFound", `Resource '${second}' does not exist or one of its queried reference-property objects are not present.`);
      const select = this.parseSelect("users", query.get("$select"), false);
      if (select instanceof Response) return select;
      return Response.json(project(user, select), { headers: this.headers() });
    }
    if (collection === "groups" && third === "members" && (!fourth || fourth === "microsoft.graph.user")) return this.groupMembers(second, query, false, fourth === "microsoft.graph.user");
    if (collection === "groups" && third === "transitiveMembers" && (!fourth || fourth === "microsoft.graph.user")) {
      return this.groupMembers(second, query, true, fourth === "microsoft.graph.user");
    }
    return graphError(400, "Request_BadRequest", `Unsupported segment '${parts.join("/")}'.`);
  }

  /**
   * JSON batching (POST /v1.0/$batch): up to 20 GETs, each answered on its own with its status,
   * headers and body; injected throttling and failures apply to sub-requests by their path.
   */
  private async batch(body: unknown): Promise<Response> {
    const requests = (body as { requests?: unknown } | null)?.requests;
    if (!Array.isArray(requests) || requests.length === 0 || requests.length > 20) {
      return graphError(400, "BadRequest", "Invalid batch payload format: between 1 and 20 requests are allowed.");
    }
    const responses = [];
    for (const item of requests as { id?: unknown; method?: unknown; url?: unknown }[]) {
      if (typeof item.id !== "string" || item.method !== "GET" || typeof item.url !== "string" || !item.url.startsWith("/")) {
        return graphError(400, "BadRequest", "Each batch request needs an id, the GET method and a relative url.");
      }
      const url = new URL(`http://emulator/v1.0${item.url}`);
      this.requests.push({ method: "GET", url: url.pathname + url.search, authorization: null, at: this.now() });
      const res = this.takeInjection(url.pathname) ?? this.dispatch(url);
      const headers: Record<string, string> = {};
      const retryAfter = res.headers.get("retry-after");
      if (retryAfter) headers["Retry-After"] = retryAfter;
      responses.push({ id: item.id, status: res.status, headers, body: await res.json() });
    }
    return Response.json({ responses }, { headers: this.headers() });
  }

  // ------------------------------------------------------------------ plain lists

  private list(resource: Resource, query: Map<string, string>): Response {
    const top = this.parseTop(query.get("$top"));
    if (top instanceof Response) return top;
    const select = this.parseSelect(resource, query.get("$select"), false);
    if (select instanceof Response) return select;
    const offset = Number(query.get("$skiptoken") ? decodeToken<{ o: number }>(query.get("$skiptoken")!)?.o ?? 0 : 0);
    const all = [...(resource === "users" ? this.tenant.users : this.tenant.groups).values()];
    const page = all.slice(offset, offset + top);
    const body: Record<string, unknown> = { "@odata.context": `${this.publicBaseUrl}/v1.0/$metadata#${resource}` };
    if (offset + top < all.length) {
      const params = [query.has("$select") ? `$select=${query.get("$select")}` : null, `$top=${top}`, `$skiptoken=${encodeToken({ o: offset + top })}`];
      body["@odata.nextLink"] = `${this.publicBaseUrl}/v1.0/${resource}?${params.filter(Boolean).join("&")}`;
    }
    body.value = page.map((o) => project(o, select));
    return Response.json(body, { headers: this.headers() });
  }

  /**
   * /groups/{id}/members (direct) and /transitiveMembers (every member reached through nested
   * groups, each once, the nested groups included); the /microsoft.graph.user cast keeps users only.
   */
  private groupMembers(groupId: string, query: Map<string, string>, transitive: boolean, usersOnly: boolean): Response {
    const members = this.tenant.members.get(groupId);
    if (!members) return graphError(404, "Request_ResourceNotFound", `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`);
    const top = this.parseTop(query.get("$top"));
    if (top instanceof Response) return top;
    const offset = Number(query.get("$skiptoken") ? decodeToken<{ o: number }>(query.get("$skiptoken")!)?.o ?? 0 : 0);
    const ids = (transitive ? this.tenant.transitiveMembers(groupId) : [...members]).filter((id) => !usersOnly || !this.tenant.groups.has(id));
    const body: Record<string, unknown> = { "@odata.context": `${this.publicBaseUrl}/v1.0/$metadata#directoryObjects` };
    const path = `groups/${groupId}/${transitive ? "transitiveMembers" : "members"}${usersOnly ? "/microsoft.graph.user" : ""}`;
    const select = query.has("$select") ? `$select=${query.get("$select")}&` : "";
    if (offset + top < ids.length) body["@odata.nextLink"] = `${this.publicBaseUrl}/v1.0/${path}?${select}$top=${top}&$skiptoken=${encodeToken({ o: offset + top })}`;
    body.value = ids.slice(offset, offset + top).map((id) => {
      const group = this.tenant.groups.get(id);
      if (group) return { "@odata.type": "#microsoft.graph.group", id, displayName: group.displayName ?? null };
      const user = this.tenant.users.get(id);
      return { "@odata.type": "#microsoft.graph.user", id, displayName: user?.displayName ?? null, userPrincipalName: user?.userPrincipalName ?? null };
    });
    return Response.json(body, { headers: this.headers() });
  }

  /** GET /users/{id}/manager: the manager's directoryObject, or 404 when the user has none. */
  private managerOf(userId: string, query: Map<string, string>): Response {
    const user = this.tenant.users.get(userId);
    if (!user) return graphError(404, "Request_ResourceNotFound", `Resource '${userId}' does not exist or one of its queried reference-property objects are not present.`);
    const manager = typeof user.manager === "string" ? this.tenant.users.get(user.manager) : undefined;
    if (!manager) return graphError(404, "Request_ResourceNotFound", `Resource 'manager' does not exist or one of its queried reference-property objects are not present.`);
    const select = this.parseSelect("users", query.get("$select"), false);
    if (select instanceof Response) return select;
    return Response.json({ "@odata.type": "#microsoft.graph.user", ...project(manager, select) }, { headers: this.headers() });
  }

  // ------------------------------------------------------------------ delta

  private delta(resource: Resource, query: Map<string, string>): Response {
    const deltaToken = query.get("$deltatoken");
    const skipToken = query.get("$skiptoken");
    const base = `${this.publicBaseUrl}/v1.0/${resource}/delta`;
    let state: RoundState;
    if ((deltaToken && deltaToken !== "latest") || skipToken) {
      if (this.forceResyncPending) {
        this.forceResyncPending = false;
        return graphError(410, this.resetCode("resyncRequired"), "Resync required. Replace any local cached copies with the results of a new initial round.", {
          location: `${base}?$deltatoken=`,
        });
      }
      // Query options given beside a token are ignored: the round keeps the options it started with.
      const decoded = decodeToken<RoundState>((skipToken ?? deltaToken)!);
      if (!decoded || decoded.r !== resource) return graphError(400, this.resetCode("syncStateInvalid"), "The sync state is invalid.");
      if (deltaToken && this.now() - decoded.t > this.options.deltaTokenLifetimeMs) {
        return graphError(400, this.resetCode("syncStateNotFound"), SYNC_RESET_MESSAGE);
      }
      state = skipToken ? decoded : { ...decoded, p: decoded.q, q: this.tenant.journal.length, o: 0, t: this.now() };
    } else {
      const selectText = query.get("$select") ?? null;
      const check = this.parseSelect(resource, selectText, true);
      if (check instanceof Response) return check;
      const q = this.tenant.journal.length;
      if (deltaToken === "latest") {
        return Response.json(
          { "@odata.context": `${this.publicBaseUrl}/v1.0/$metadata#${resource}`, "@odata.deltaLink": `${base}?$deltatoken=${encodeToken({ r: resource, p: q, q, o: 0, s: selectText, t: this.now() })}`, value: [] },
          { headers: this.headers() },
        );
      }
      state = { r: resource, p: null, q, o: 0, s: selectText, t: this.now() };
    }

    const select = this.parseSelect(resource, state.s, true) as string[];
    const { value, next } = resource === "users" ? this.userDeltaPage(state, select) : this.groupDeltaPage(state, select);
    const body: Record<string, unknown> = { "@odata.context": `${this.publicBaseUrl}/v1.0/$metadata#${resource}` };
    if (next !== null) body["@odata.nextLink"] = `${base}?$skiptoken=${encodeToken({ ...state, o: next })}`;
    else body["@odata.deltaLink"] = `${base}?$deltatoken=${encodeToken({ ...state, p: state.q, o: 0, t: this.now() })}`;
    body.value = value;
    return Response.json(body, { headers: this.headers() });
  }

  /**
   * What a delta round enumerates, built once per round and reused for each of its pages while the
   * tenant stays as it was (building it for every page made a 100,000-user round quadratic: 34 s of
   * CPU for one initial sync). A change to the tenant, journaled or not, builds it again.
   */
  private perRound<T>(state: RoundState, what: string, build: () => T): T {
    const t = this.tenant;
    const key = `${state.r} ${state.p} ${state.q} ${state.s} ${what} ${t.journal.length} ${t.users.size} ${t.deletedUsers.size} ${t.groups.size}`;
    let cached = this.rounds.get(what);
    if (cached?.key !== key) this.rounds.set(what, (cached = { key, value: build() }));
    return cached.value as T;
  }

  /** Ids changed in the journal window (p, q], in order of their last change. */
  private changedIds(state: RoundState, kinds: ("user" | "group" | "member")[], key: (e: any) => string): string[] {
    const seen = new Map<string, number>();
    const journal = this.tenant.journal;
    for (let i = state.p ?? 0; i < state.q && i < journal.length; i++) {
      const entry = journal[i]!;
      if (kinds.includes(entry.kind)) seen.set(key(entry), i);
    }
    return [...seen.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
  }

  /**
   * Users with their selected properties. With `manager` selected, manager@delta carries the link:
   * in an initial round for every user that has a manager, in a later round only for users whose
   * manager changed in the window (a cleared manager as an @removed entry), as Graph reports links.
   */
  private userDeltaPage(state: RoundState, select: string[]): { value: unknown[]; next: number | null } {
    const size = this.options.deltaPageSize;
    const initial = state.p === null;
    const ids = this.perRound(state, "users", () => (initial ? [...this.tenant.users.keys()] : this.changedIds(state, ["user"], (e) => e.id)));
    const managerChanges = initial ? null : this.perRound(state, "managers", () => this.managerChanges(state));
    const withManager = select.includes("manager");
    const props = select.filter((s) => s !== "manager");
    const slice = ids.slice(state.o, state.o + size);
    const value = slice.map((id) => {
      const user = this.tenant.users.get(id);
      if (!user) return { id, "@removed": { reason: this.tenant.deletedUsers.has(id) ? "changed" : "deleted" } };
      const out = project(user, props);
      const current = typeof user.manager === "string" ? user.manager : null;
      if (withManager && (initial ? current !== null : managerChanges!.has(id))) {
        const previous = managerChanges?.get(id) ?? null;
        out["manager@delta"] = current
          ? [{ "@odata.type": "#microsoft.graph.user", id: current }]
          : previous
            ? [{ "@odata.type": "#microsoft.graph.user", id: previous, "@removed": { reason: "deleted" } }]
            : [];
      }
      return out;
    });
    return { value, next: state.o + size < ids.length ? state.o + size : null };
  }

  /** Users whose manager link changed in the window -> the manager they had before the window's first change. */
  private managerChanges(state: RoundState): Map<string, string | null> {
    const out = new Map<string, string | null>();
    const journal = this.tenant.journal;
    for (let i = state.p ?? 0; i < state.q && i < journal.length; i++) {
      const e = journal[i]!;
      if (e.kind === "user" && e.manager && !out.has(e.id)) out.set(e.id, e.manager.previous);
    }
    return out;
  }

  /**
   * Groups with members@delta. The item list is (group, member slice) pairs, so a large group's id
   * repeats on consecutive pages; a page holds up to deltaPageSize items or deltaLinkCap links.
   */
  private groupDeltaPage(state: RoundState, select: string[]): { value: unknown[]; next: number | null } {
    const withMembers = select.includes("members");
    const props = select.filter((s) => s !== "members");
    const initial = state.p === null;
    const cap = this.options.deltaLinkCap;
    const items = this.perRound(state, `groups ${withMembers}`, () => {
      const ids = initial ? [...this.tenant.groups.keys()] : this.changedIds(state, ["group", "member"], (e) => (e.kind === "member" ? e.groupId : e.id));
      const memberChanges = initial ? null : this.memberChanges(state);
      const items: { id: string; links: { id: string; removed: boolean }[] | null }[] = [];
      for (const id of ids) {
        const group = this.tenant.groups.get(id);
        if (!group) {
          items.push({ id, links: null });
          continue;
        }
        const links = !withMembers
          ? []
          : initial
            ? [...(this.tenant.members.get(id) ?? [])].map((m) => ({ id: m, removed: false }))
            : [...(memberChanges!.get(id) ?? new Map<string, boolean>())].map(([m, removed]) => ({ id: m, removed }));
        if (links.length === 0) items.push({ id, links: [] });
        for (let i = 0; i < links.length; i += cap) items.push({ id, links: links.slice(i, i + cap) });
      }
      return items;
    });
    const value: unknown[] = [];
    let linkCount = 0;
    let o = state.o;
    while (o < items.length && value.length < this.options.deltaPageSize && (value.length === 0 || linkCount + (items[o]!.links?.length ?? 0) <= cap)) {
      const item = items[o]!;
      o += 1;
      const group = this.tenant.groups.get(item.id);
      if (!group || !item.links) {
        value.push({ id: item.id, "@removed": { reason: "deleted" } });
        continue;
      }
      linkCount += item.links.length;
      const out: Record<string, unknown> = project(group, props);
      if (withMembers) {
        // A nested group is a member too; its link says so in @odata.type.
        out["members@delta"] = item.links.map((l) => {
          const type = this.tenant.groups.has(l.id) || this.tenant.deletedGroupIds.has(l.id) ? "#microsoft.graph.group" : "#microsoft.graph.user";
          return l.removed ? { "@odata.type": type, id: l.id, "@removed": { reason: "deleted" } } : { "@odata.type": type, id: l.id };
        });
      }
      value.push(out);
    }
    return { value, next: o < items.length ? o : null };
  }

  /** Net membership changes per group in the window: member id -> removed (last change wins). */
  private memberChanges(state: RoundState): Map<string, Map<string, boolean>> {
    const out = new Map<string, Map<string, boolean>>();
    const journal = this.tenant.journal;
    for (let i = state.p ?? 0; i < state.q && i < journal.length; i++) {
      const e = journal[i]!;
      if (e.kind !== "member") continue;
      const group = out.get(e.groupId) ?? new Map<string, boolean>();
      group.set(e.userId, e.removed);
      out.set(e.groupId, group);
    }
    return out;
  }

  // ------------------------------------------------------------------ query options

  private parseTop(raw: string | undefined): number | Response {
    if (raw === undefined) return 100;
    const top = Number(raw);
    if (!Number.isInteger(top) || top < 1 || top > 999) {
      return graphError(400, "Request_UnsupportedQuery", `Invalid page size specified: '${raw}'. Must be between 1 and 999 inclusive.`);
    }
    return top;
  }

  /** The selected properties, the default set when absent; an unknown property is a 400, as in Graph. */
  private parseSelect(resource: Resource, raw: string | null | undefined, delta: boolean): string[] | Response {
    // Relationships are selectable in delta only: manager (users) and members (groups).
    const known: readonly string[] = resource === "users" ? [...USER_PROPERTIES, ...(delta ? ["manager"] : [])] : [...GROUP_PROPERTIES, ...(delta ? ["members"] : [])];
    if (!raw) return resource === "users" ? USER_DEFAULT_SELECT : delta ? [...GROUP_DEFAULT_SELECT, "members"] : GROUP_DEFAULT_SELECT;
    const names = raw.split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = names.find((n) => !known.includes(n) && !/^extension_[0-9a-f]{32}_\w+$/.test(n));
    if (unknown) return graphError(400, "Request_BadRequest", `Could not find a property named '${unknown}' on type 'microsoft.graph.${resource === "users" ? "user" : "group"}'.`);
    return ["id", ...names.filter((n) => n !== "id")];
  }

  private resetCode(code: string): string {
    return this.resetCodeCasing === "pascal" ? code[0]!.toUpperCase() + code.slice(1) : code;
  }

  private headers(): Record<string, string> {
    return { "request-id": randomUUID(), "x-ms-resource-unit": "1" };
  }
}

/** Selected properties; selected ones that are unset come back as null, unselected ones are absent. */
function project(object: GraphObject, select: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of select) out[name] = object[name] ?? null;
  return out;
}

function graphError(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  const requestId = randomUUID();
  return Response.json(
    { error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19), "request-id": requestId, "client-request-id": requestId } } },
    { status, headers: { "request-id": requestId, ...headers } },
  );
}

/** Query keys lower-cased: Graph accepts $skipToken and $skiptoken alike. */
function lowerKeys(params: URLSearchParams): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of params) out.set(k.toLowerCase(), v);
  return out;
}

function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function decodeToken<T>(token: string): T | null {
  try {
    return JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as T;
  } catch {
    return null;
  }
}
