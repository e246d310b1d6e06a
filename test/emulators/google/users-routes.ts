// Directory API user routes (idp-apis.md §2.3, §2.5): users.list with its parameter rules, paging,
// projections, showDeleted, query and ordering; users.get; users.watch; channels.stop.
import { Hono } from "hono";
import { type ApiContext, type ApiEnv, type UserOrderBy, emailDomain, googleJson, requireScope, resolveScope, userSortKey } from "./api.js";
import { SCOPE } from "./auth.js";
import { USER_WATCH_EVENTS, type UserWatchEvent } from "./channels.js";
import type { StoredUser } from "./directory.js";
import { badRequest, invalidInput, notFound } from "./errors.js";
import { decodePageToken, encodePageToken, parseMaxResults, slicePage } from "./paging.js";
import { parseUserQuery } from "./query.js";
import { type Projection, toUserResource } from "./render.js";

const USER_SCOPES = [SCOPE.user, SCOPE.userReadonly];

export function parseProjection(projection: string | undefined, customFieldMask: string | undefined): Projection {
  switch (projection ?? "basic") {
    case "basic":
      return { kind: "basic" };
    case "full":
      return { kind: "full" };
    case "custom": {
      // Google rejects projection=custom without a mask of schema names.
      const mask = (customFieldMask ?? "").split(",").map((s) => s.trim()).filter(Boolean);
      if (mask.length === 0) throw invalidInput("customFieldMask");
      return { kind: "custom", mask: new Set(mask) };
    }
    default:
      throw invalidInput("projection");
  }
}

export function parseSortOrder(raw: string | undefined): boolean {
  if (raw === undefined || raw === "ASCENDING") return false;
  if (raw === "DESCENDING") return true;
  throw invalidInput("sortOrder");
}

export function usersRoutes(ctx: ApiContext): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.get("/admin/directory/v1/users", (c) => {
    requireScope(c, ...USER_SCOPES);
    const q = c.req.query();
    const scope = resolveScope(ctx.dir, q.customer, q.domain);
    const max = parseMaxResults(q.maxResults, 100, 500);
    const projection = parseProjection(q.projection, q.customFieldMask);
    const showDeleted = q.showDeleted === "true";
    if (q.viewType !== undefined && q.viewType !== "admin_view" && q.viewType !== "domain_public") throw invalidInput("viewType");
    const orderBy = (q.orderBy ?? "default") as UserOrderBy;
    if (!["default", "email", "givenName", "familyName"].includes(orderBy)) throw invalidInput("orderBy");
    const descending = orderBy !== "default" && parseSortOrder(q.sortOrder);
    let matches = (_: StoredUser) => true;
    if (q.query) {
      const parsed = parseUserQuery(q.query);
      if (!parsed.ok) throw invalidInput("query");
      matches = parsed.value;
    }
    const filter =
      scope.domain === undefined ? matches : (u: StoredUser) => emailDomain(u.fields.primaryEmail) === scope.domain && matches(u);

    const fingerprint = JSON.stringify(["users", scope.domain ?? "", showDeleted, orderBy, descending, q.query ?? ""]);
    const after = q.pageToken ? decodePageToken(q.pageToken, fingerprint, ctx.now()) : null;
    const sorted = ctx.sorted.users(orderBy, descending, showDeleted);
    const page = slicePage(sorted, userSortKey(orderBy), descending, after, filter, max);

    const body: Record<string, unknown> = { kind: "admin#directory#users", etag: ctx.dir.etag("users", "list", ctx.dir.mutations) };
    // An empty page has no `users` key at all, and the last page no nextPageToken [§2.3].
    if (page.items.length > 0) body.users = page.items.map((u) => toUserResource(ctx.dir, u, projection));
    if (page.nextKey) body.nextPageToken = encodePageToken(fingerprint, page.nextKey, ctx.now());
    return googleJson(body);
  });

  app.post("/admin/directory/v1/users/watch", async (c) => {
    requireScope(c, ...USER_SCOPES);
    const q = c.req.query();
    resolveScope(ctx.dir, q.customer, q.domain);
    const event = q.event as UserWatchEvent | undefined;
    if (event !== undefined && !USER_WATCH_EVENTS.includes(event)) throw invalidInput("event");
    const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
    if (!body || typeof body.id !== "string" || typeof body.address !== "string" || body.type !== "web_hook") throw badRequest();
    const params = new URLSearchParams();
    if (q.customer) params.set("customer", q.customer);
    if (q.domain) params.set("domain", q.domain);
    if (event) params.set("event", event);
    params.set("alt", "json");
    const channel = ctx.channels.open({
      id: body.id,
      address: body.address,
      ...(typeof body.token === "string" ? { token: body.token } : {}),
      ...(body.expiration !== undefined ? { expiration: Number(body.expiration) } : {}),
      event: event ?? null,
      resourceUri: `${ctx.publicBaseUrl()}/admin/directory/v1/users?${params}`,
    });
    return googleJson({
      kind: "api#channel",
      id: channel.id,
      resourceId: channel.resourceId,
      resourceUri: channel.resourceUri,
      ...(channel.token !== undefined ? { token: channel.token } : {}),
      // int64 in Google's JSON: a string of epoch milliseconds.
      expiration: String(channel.expiration),
    });
  });

  app.get("/admin/directory/v1/users/:userKey", (c) => {
    requireScope(c, ...USER_SCOPES);
    const q = c.req.query();
    const projection = parseProjection(q.projection, q.customFieldMask);
    const user = ctx.dir.findUser(c.req.param("userKey"));
    if (!user) throw notFound("userKey");
    return googleJson(toUserResource(ctx.dir, user, projection));
  });

  // Note the path: `directory_v1`, not `directory/v1`, exactly as googleapis builds it [§2.5].
  app.post("/admin/directory_v1/channels/stop", async (c) => {
    requireScope(c, ...USER_SCOPES);
    const body = (await c.req.json().catch(() => null)) as { id?: unknown; resourceId?: unknown } | null;
    if (!body || typeof body.id !== "string" || typeof body.resourceId !== "string") throw badRequest();
    if (!ctx.channels.stop(body.id, body.resourceId)) throw notFound("channel");
    return new Response(null, { status: 204 });
  });

  return app;
}
