// The HTTP application: request ids and logging, health check, and each surface mounted once.
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { registerApi, renderApiError, type ApiEnv } from "./api/index.js";
import type { Deps } from "./deps.js";
import { GatewayError } from "./errors.js";
import { createPortalApp } from "./portal/app.js";
import { createScimServer, SCIM_MOUNT } from "./scim/index.js";

/** The HTTP application, and what must be written before the process exits. */
export type GatewayApp = Hono<ApiEnv> & {
  /** Writes what is still buffered (the SCIM request log); call once the server takes no more requests. */
  drain(): Promise<void>;
};

export function createApp(deps: Deps): GatewayApp {
  const app = new Hono<ApiEnv>();
  app.use("*", requestId());
  app.use("*", async (c, next) => {
    const started = performance.now();
    c.set("deps", deps);
    c.set("log", deps.log.child({ requestId: c.get("requestId") }));
    await next();
    const fields = { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) };
    if (c.req.path !== "/healthz") c.get("log").info(fields, "request");
  });

  app.get("/healthz", async (c) => {
    await deps.database.db.execute("select 1");
    return c.json({ status: "ok", database: deps.database.kind });
  });

  // SCIM first, as its own sub-app: it authenticates with directory tokens and renders SCIM errors.
  const scim = createScimServer(deps);
  app.route(SCIM_MOUNT, scim.app);
  registerApi(app);
  // After the REST routes: /portal/generate_link and /portal/branding answer before the pages do.
  app.route("/portal", createPortalApp(deps));

  app.notFound((c) => renderApiError(new GatewayError("not_found", `no route for ${c.req.method} ${c.req.path}`), c));
  app.onError(renderApiError);
  return Object.assign(app, { drain: () => scim.requestLog.flush() });
}
