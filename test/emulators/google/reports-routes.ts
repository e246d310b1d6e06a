// The Reports API admin activity list (idp-apis.md §2.5 point 3): the directory's audit log served
// newest first, filtered by time window, event name and actor, 1,000 per page, with a configurable
// lag because real activity data arrives minutes to hours late.
import { Hono } from "hono";
import { type ApiContext, type ApiEnv, googleJson, requireScope } from "./api.js";
import { SCOPE } from "./auth.js";
import { invalidInput } from "./errors.js";
import { decodePageToken, encodePageToken, parseMaxResults } from "./paging.js";

function parseTime(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  if (!/^\d{4}-\d\d-\d\dT/.test(raw) || Number.isNaN(t)) throw invalidInput(name);
  return t;
}

export function reportsRoutes(ctx: ApiContext & { reportsLagMs(): number }): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.get("/admin/reports/v1/activity/users/:userKey/applications/:applicationName", (c) => {
    requireScope(c, SCOPE.reportsAuditReadonly);
    const q = c.req.query();
    const userKey = c.req.param("userKey");
    const application = c.req.param("applicationName");
    const max = parseMaxResults(q.maxResults, 1000, 1000);
    const start = parseTime(q.startTime, "startTime");
    const end = parseTime(q.endTime, "endTime");
    const visibleUntil = ctx.now() - ctx.reportsLagMs();
    const actor = userKey === "all" ? undefined : (ctx.dir.findUser(userKey)?.fields.primaryEmail ?? userKey).toLowerCase();
    const names = q.eventName ? new Set(q.eventName.split(",")) : undefined;
    const rows = application !== "admin" ? [] : ctx.dir.activities.filter(
      (a) =>
        a.time <= visibleUntil &&
        (start === undefined || a.time >= start) &&
        (end === undefined || a.time < end) &&
        (names === undefined || names.has(a.name)) &&
        (actor === undefined || a.actorEmail.toLowerCase() === actor),
    ).reverse();

    const fingerprint = JSON.stringify(["activities", userKey, application, q.startTime ?? "", q.endTime ?? "", q.eventName ?? ""]);
    const after = q.pageToken ? decodePageToken(q.pageToken, fingerprint, ctx.now()) : null;
    const offset = after ? Number(after[0]) : 0;
    const actorUser = ctx.dir.findUser(ctx.dir.actorEmail);
    const items = rows.slice(offset, offset + max).map((a) => ({
      kind: "admin#reports#activity",
      id: { time: new Date(a.time).toISOString(), uniqueQualifier: a.uniqueQualifier, applicationName: "admin", customerId: ctx.dir.customerId },
      etag: ctx.dir.etag("activity", a.uniqueQualifier, 1),
      actor: { email: a.actorEmail, ...(actorUser ? { profileId: actorUser.id } : {}), callerType: "USER" },
      ipAddress: "203.0.113.7",
      events: [{ type: a.type, name: a.name, parameters: Object.entries(a.parameters).map(([name, value]) => ({ name, value })) }],
    }));
    const body: Record<string, unknown> = { kind: "admin#reports#activities", etag: ctx.dir.etag("activities", "list", ctx.dir.activities.length) };
    if (items.length > 0) body.items = items;
    if (offset + max < rows.length) body.nextPageToken = encodePageToken(fingerprint, [offset + max], ctx.now());
    return googleJson(body);
  });

  return app;
}
