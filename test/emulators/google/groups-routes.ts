// Directory API group routes (idp-apis.md §2.4): groups.list (customer, domain or userKey; 200 per
// page), groups.get, members.list (roles filter, includeDerivedMembership flattening) and members.get.
import { Hono } from "hono";
import { type ApiContext, type ApiEnv, type GroupOrderBy, emailDomain, googleJson, groupSortKey, requireScope, resolveScope } from "./api.js";
import { SCOPE } from "./auth.js";
import type { GoogleDirectory, MemberEdge, MemberRole, StoredGroup } from "./directory.js";
import { badRequest, invalidInput, notFound } from "./errors.js";
import { decodePageToken, encodePageToken, parseMaxResults, slicePage } from "./paging.js";
import { parseGroupQuery } from "./query.js";
import { toGroupResource, toMemberResource } from "./render.js";
import { parseSortOrder } from "./users-routes.js";

const GROUP_SCOPES = [SCOPE.group, SCOPE.groupReadonly];
const MEMBER_SCOPES = [SCOPE.groupMember, SCOPE.groupMemberReadonly, SCOPE.group, SCOPE.groupReadonly];
const ROLES: readonly MemberRole[] = ["OWNER", "MANAGER", "MEMBER"];

type MemberRow = [id: string, edge: MemberEdge];

/**
 * Direct members first, then (when derived membership is asked for) the users reached through
 * nested GROUP members, each once. CUSTOMER members are not expanded: Google lists them as one entry.
 */
export function memberRows(dir: GoogleDirectory, group: StoredGroup, derived: boolean): MemberRow[] {
  const rows: MemberRow[] = [...group.members];
  if (!derived) return rows;
  const seen = new Set(rows.map(([id]) => id));
  const visited = new Set([group.id]);
  const stack = rows.filter(([, e]) => e.type === "GROUP").map(([id]) => id);
  while (stack.length > 0) {
    const nested = dir.getGroupById(stack.pop()!);
    if (!nested || visited.has(nested.id)) continue;
    visited.add(nested.id);
    for (const [id, e] of nested.members) {
      if (e.type === "GROUP") stack.push(id);
      if (!seen.has(id)) {
        seen.add(id);
        rows.push([id, e]);
      }
    }
  }
  return rows;
}

export function groupsRoutes(ctx: ApiContext): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.get("/admin/directory/v1/groups", (c) => {
    requireScope(c, ...GROUP_SCOPES);
    const q = c.req.query();
    let userId: string | undefined;
    let domain: string | undefined;
    if (q.userKey) {
      // userKey lists the groups a user directly belongs to and excludes `customer`.
      if (q.customer) throw badRequest();
      const user = ctx.dir.findUser(q.userKey);
      if (!user) throw notFound("userKey");
      userId = user.id;
    } else {
      domain = resolveScope(ctx.dir, q.customer, q.domain).domain;
    }
    const max = parseMaxResults(q.maxResults, 200, 200);
    const orderBy = (q.orderBy ?? "default") as GroupOrderBy;
    if (orderBy !== "default" && orderBy !== "email") throw invalidInput("orderBy");
    const descending = orderBy !== "default" && parseSortOrder(q.sortOrder);
    let matches = (_: StoredGroup) => true;
    if (q.query) {
      const parsed = parseGroupQuery(q.query);
      if (!parsed.ok) throw invalidInput("query");
      matches = parsed.value;
    }
    const filter = (g: StoredGroup) =>
      (userId === undefined || g.members.has(userId)) && (domain === undefined || emailDomain(g.fields.email) === domain) && matches(g);

    const fingerprint = JSON.stringify(["groups", userId ?? "", domain ?? "", orderBy, descending, q.query ?? ""]);
    const after = q.pageToken ? decodePageToken(q.pageToken, fingerprint, ctx.now()) : null;
    const page = slicePage(ctx.sorted.groups(orderBy, descending), groupSortKey(orderBy), descending, after, filter, max);
    const body: Record<string, unknown> = { kind: "admin#directory#groups", etag: ctx.dir.etag("groups", "list", ctx.dir.mutations) };
    if (page.items.length > 0) body.groups = page.items.map((g) => toGroupResource(ctx.dir, g));
    if (page.nextKey) body.nextPageToken = encodePageToken(fingerprint, page.nextKey, ctx.now());
    return googleJson(body);
  });

  app.get("/admin/directory/v1/groups/:groupKey", (c) => {
    requireScope(c, ...GROUP_SCOPES);
    const group = ctx.dir.findGroup(c.req.param("groupKey"));
    if (!group) throw notFound("groupKey");
    return googleJson(toGroupResource(ctx.dir, group));
  });

  app.get("/admin/directory/v1/groups/:groupKey/members", (c) => {
    requireScope(c, ...MEMBER_SCOPES);
    const q = c.req.query();
    const group = ctx.dir.findGroup(c.req.param("groupKey"));
    if (!group) throw notFound("groupKey");
    const max = parseMaxResults(q.maxResults, 200, 200);
    let roles: Set<string> | null = null;
    if (q.roles) {
      roles = new Set(q.roles.split(",").map((r) => r.trim().toUpperCase()));
      if ([...roles].some((r) => !ROLES.includes(r as MemberRole))) throw invalidInput("roles");
    }
    const derived = q.includeDerivedMembership === "true";
    const rows = memberRows(ctx.dir, group, derived).filter(([, e]) => roles === null || roles.has(e.role));

    // Members page by offset into the current list: Google's member order is unspecified anyway.
    const fingerprint = JSON.stringify(["members", group.id, [...(roles ?? [])].sort(), derived]);
    const after = q.pageToken ? decodePageToken(q.pageToken, fingerprint, ctx.now()) : null;
    const offset = after ? Number(after[0]) : 0;
    const slice = rows.slice(offset, offset + max);
    const body: Record<string, unknown> = { kind: "admin#directory#members", etag: ctx.dir.etag("members", group.id, group.version) };
    if (slice.length > 0) body.members = slice.map(([id, e]) => toMemberResource(ctx.dir, group, id, e));
    if (offset + max < rows.length) body.nextPageToken = encodePageToken(fingerprint, [offset + max], ctx.now());
    return googleJson(body);
  });

  app.get("/admin/directory/v1/groups/:groupKey/members/:memberKey", (c) => {
    requireScope(c, ...MEMBER_SCOPES);
    const group = ctx.dir.findGroup(c.req.param("groupKey"));
    if (!group) throw notFound("groupKey");
    const id = ctx.dir.resolveMemberId(group, c.req.param("memberKey"));
    const e = id === undefined ? undefined : group.members.get(id);
    if (id === undefined || !e) throw notFound("memberKey");
    return googleJson(toMemberResource(ctx.dir, group, id, e));
  });

  return app;
}
