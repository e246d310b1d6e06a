// The SCIM 2.0 server (RFC 7643 / 7644), mounted at /scim/v2/:directoryId. Each directory has its own
// bearer token; every write goes through normalize and the reconciler. Errors are rendered here as
// SCIM errors, never as the REST envelope.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { baseUrl } from "../config.js";
import type { Deps } from "../deps.js";
import { GatewayError } from "../errors.js";
import { checkScimToken, forgetScimDirectory, noteDirectoryState } from "./auth.js";
import { discoveryApp } from "./discovery.js";
import type { ScimEnv } from "./env.js";
import { renderScimError, scimError } from "./errors.js";
import { groupsApp } from "./groups.js";
import type { ScimOptions } from "./options.js";
import { TokenBucketLimiter } from "./rate-limit.js";
import { ScimRequestLog } from "./request-log.js";
import { UserNameLookups } from "./user-lookups.js";
import { usersApp } from "./users.js";

export { issueScimToken } from "./auth.js";
export { listScimRequests, type ScimRequestRecord } from "./request-log.js";
export type { ScimEnv } from "./env.js";

/** Where a directory's SCIM base URL lives under the gateway's public URL. */
export const SCIM_MOUNT = "/scim/v2/:directoryId";
export const scimBaseUrl = (publicUrl: string, directoryId: string) => `${publicUrl}/scim/v2/${directoryId}`;

/** Most resources one list page returns (advertised as filter.maxResults). */
export const SCIM_MAX_RESULTS = 1000;

/** The SCIM sub-app and its request log (flush it to make entries visible at once, e.g. in tests). */
export interface ScimServer {
  app: Hono<ScimEnv>;
  requestLog: ScimRequestLog;
}

export function createScimServer(deps: Deps): ScimServer {
  const { config } = deps;
  const options: ScimOptions = {
    baseUrlOf: (id) => scimBaseUrl(baseUrl(config), id),
    maxBodyBytes: config.DSYNC_SCIM_MAX_BODY_BYTES,
    maxResults: SCIM_MAX_RESULTS,
  };
  const limiter = new TokenBucketLimiter(config.DSYNC_SCIM_RATE_PER_SEC, config.DSYNC_SCIM_BURST, () => deps.clock.now().getTime());
  const requestLog = new ScimRequestLog(deps.db, deps.log);
  // A deleted directory's cached token must stop working at once, not after the cache's TTL.
  deps.reconciler.onDirectoryDeleted(forgetDeletedDirectory(deps.db));

  const logRequests = createMiddleware<ScimEnv>(async (c, next) => {
    const started = performance.now();
    await next();
    const scope = c.get("logScope");
    if (!scope) return;
    const { pathname, search } = urlParts(c.req.url);
    const prefix = `/scim/v2/${scope.directoryId}`;
    const path = pathname.startsWith(prefix) ? pathname.slice(prefix.length) || "/" : pathname;
    requestLog.record({
      scope,
      method: c.req.method,
      path: `${path}${search}`,
      status: c.res.status,
      durationMs: performance.now() - started,
      error: c.res.status >= 400 ? (c.get("errorDetail") ?? null) : null,
      at: deps.clock.now(),
    });
  });

  const authenticate = createMiddleware<ScimEnv>(async (c, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
    const check = await checkScimToken(c.get("deps").db, c.req.param("directoryId") ?? "", match?.[1] ?? "");
    // A rejected request to an existing SCIM directory goes to its log ("the IdP has a stale token").
    if (check.directory) c.set("logScope", check.directory.scope);
    if (!match) throw scimError("unauthorized", "missing bearer token: send Authorization: Bearer <SCIM token>");
    if (!check.authenticated || !check.directory) throw scimError("unauthorized", "invalid bearer token for this directory");
    const principal = check.directory;
    // An id with U+0000 (%00) can name nothing stored, and Postgres would refuse it as a parameter.
    if (urlParts(c.req.url).pathname.includes("%00")) throw scimError("not_found", "no resource has an id containing U+0000");
    // No child logger with the directory id: a second pino child per request cost 12 µs, as much as the
    // token check, and only error lines used it (renderScimError adds the directory id).
    c.set("scope", principal.scope);
    const decision = limiter.take(principal.scope.directoryId);
    if (!decision.ok) {
      throw new GatewayError("rate_limited", `too many requests for this directory; retry after ${decision.retryAfterSeconds} s`, {
        cause: { retryAfterSeconds: decision.retryAfterSeconds },
      });
    }
    // The first authenticated request shows the IdP is connected: the directory becomes linked
    // (dsync.activated, once). A directory being deleted stays as it is.
    if (principal.state !== "linked" && principal.state !== "deleting") {
      await c.get("deps").reconciler.setDirectoryState(principal.scope, "linked");
      noteDirectoryState(c.get("deps").db, principal.scope.directoryId, "linked");
    }
    await next();
  });

  const app = new Hono<ScimEnv>();
  app.onError(renderScimError);
  app.use("*", logRequests);
  app.route("/", discoveryApp(options.baseUrlOf, { maxResults: options.maxResults, maxBodyBytes: options.maxBodyBytes }));
  app.use("*", authenticate);
  app.route("/Users", usersApp(options, new UserNameLookups(deps.db)));
  app.route("/Groups", groupsApp(options));
  app.all("*", (c) => {
    throw scimError("not_found", `no SCIM endpoint for ${c.req.method} ${new URL(c.req.url).pathname}`);
  });
  return { app, requestLog };
}

/**
 * The path and query of a request URL as the server received it (not decoded), like URL's pathname
 * and search. The server's Request URL is always absolute ("http://host/path?query"), and a full URL
 * parse per request (twice, in the log and auth middleware) cost more than these slices.
 */
function urlParts(url: string): { pathname: string; search: string } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return { pathname: "/", search: "" };
  const hash = url.indexOf("#", start);
  const end = hash < 0 ? url.length : hash;
  const query = url.indexOf("?", start);
  return query < 0 || query > end ? { pathname: url.slice(start, end), search: "" } : { pathname: url.slice(start, query), search: query + 1 === end ? "" : url.slice(query, end) };
}

// One listener per database, however many apps are built on it (tests build several).
const deletionListeners = new WeakMap<Deps["db"], (scope: { directoryId: string }) => void>();
function forgetDeletedDirectory(db: Deps["db"]): (scope: { directoryId: string }) => void {
  let listener = deletionListeners.get(db);
  if (!listener) {
    listener = (scope) => forgetScimDirectory(db, scope.directoryId);
    deletionListeners.set(db, listener);
  }
  return listener;
}
