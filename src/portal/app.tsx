// The admin portal: server-rendered pages for a customer's IT admin, one organization per session.
// It is a face on the same functions the REST API calls; it writes nothing through a path of its own.
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { GatewayError, statusOf } from "../errors.js";
import { DirectoryType, isScimDirectoryType } from "../model/index.js";
import { issueScimToken } from "../scim/index.js";
import { TokenBucketLimiter } from "../scim/rate-limit.js";
import { createDirectory, getDirectory, listDirectories } from "../tenancy/directories.js";
import { getOrganization } from "../tenancy/organizations.js";
import { loadActivity } from "./activity.js";
import { PORTAL_CSS, PORTAL_JS, themeCss } from "./assets.js";
import { recordAudit } from "./audit.js";
import { getBranding } from "./branding.js";
import { renderDirectoryPage } from "./directory-view.js";
import { accessOf, actor, clientAddress, type PortalEnv } from "./env.js";
import { NewDirectoryPage, OverviewPage, ProblemPage } from "./pages.js";
import { registerMappingRoutes } from "./mapping-routes.js";
import { registerPullRoutes } from "./pull-routes.js";
import { csrfMatches, endPortalSession, readPortalSession, redeemPortalLink, SESSION_IDLE_MS } from "./sessions.js";

const COOKIE = "dsync_portal";

const LINK_PROBLEMS = {
  unknown: { title: "This link does not work", message: "The setup link is not valid. Ask for a new one from the app that sent you here." },
  expired: { title: "This link has expired", message: "Setup links work for 5 minutes. Go back and open the setup page again to get a fresh one." },
  used: { title: "This link was already used", message: "Each setup link opens one session. Go back and open the setup page again to get a new link." },
} as const;

const newDirectoryForm = z.object({
  _csrf: z.string(),
  type: DirectoryType,
  name: z.string().trim().min(1, "Give the connection a name.").max(200, "Keep the name under 200 characters."),
});

export function createPortalApp(deps: Deps): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();
  // Five redemptions a minute per address, bursts of ten: enough for people, not for guessing.
  const redemptions = new TokenBucketLimiter(5 / 60, 10, () => deps.clock.now().getTime());

  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        scriptSrc: ["'self'"],
        imgSrc: ["'self'", "https:", "data:"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: "no-referrer",
    }),
  );
  app.use("*", async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
  });

  app.get("/assets/portal.css", (c) => c.body(PORTAL_CSS, 200, { "content-type": "text/css; charset=utf-8" }));
  app.get("/assets/portal.js", (c) => c.body(PORTAL_JS, 200, { "content-type": "text/javascript; charset=utf-8" }));
  app.get("/assets/theme.css", async (c) => c.body(themeCss(await getBranding(deps.db)), 200, { "content-type": "text/css; charset=utf-8" }));

  app.get("/launch", async (c) => {
    const branding = await getBranding(deps.db);
    const decision = redemptions.take(clientAddress(c) ?? "unknown");
    if (!decision.ok) {
      c.header("Retry-After", String(decision.retryAfterSeconds));
      return c.html(<ProblemPage branding={branding} title="Too many attempts" message="Wait a minute, then open your setup link again." />, 429);
    }
    const result = await redeemPortalLink(deps.db, c.req.query("secret") ?? "", deps.clock.now());
    if (!result.ok) {
      const problem = LINK_PROBLEMS[result.reason];
      return c.html(<ProblemPage branding={branding} {...problem} returnUrl={result.returnUrl} />, result.reason === "unknown" ? 404 : 410);
    }
    setCookie(c, COOKIE, result.sessionToken, {
      httpOnly: true,
      sameSite: "Lax",
      secure: isHttps(c, deps),
      path: "/portal",
      maxAge: SESSION_IDLE_MS / 1000 + 60,
    });
    await recordAudit(deps.db, { organizationId: result.session.organizationId, actor: actor(c, result.session), action: "portal.session.started" }, deps.clock.now());
    return c.redirect("/portal", 303);
  });

  // Everything below needs a live session.
  app.use("*", async (c, next) => {
    const token = getCookie(c, COOKIE);
    const session = token ? await readPortalSession(deps.db, token, deps.clock.now()) : null;
    if (!session) {
      const branding = await getBranding(deps.db);
      return c.html(
        <ProblemPage branding={branding} title="Your session has ended" message="For your security, setup sessions end after 30 minutes without activity. Open the setup page in your app again to continue." />,
        401,
      );
    }
    c.set("session", session);
    if (c.req.method === "POST") {
      const body = await c.req.parseBody();
      if (!csrfMatches(session, body._csrf)) throw new GatewayError("forbidden", "This form has expired. Reload the page and try again.");
    }
    await next();
  });

  app.get("/", async (c) => {
    const session = c.var.session;
    const access = accessOf(session);
    const [organization, directories, branding] = await Promise.all([
      getOrganization(deps.db, access, session.organizationId),
      listDirectories(deps.db, access, {}, { limit: 100, order: "asc" }),
      getBranding(deps.db),
    ]);
    return c.html(<OverviewPage ctx={{ branding, session }} organizationName={organization?.name ?? "your organization"} directories={directories.data} />);
  });

  app.get("/directories/new", async (c) => c.html(<NewDirectoryPage ctx={{ branding: await getBranding(deps.db), session: c.var.session }} />));

  app.post("/directories", async (c) => {
    const session = c.var.session;
    const parsed = newDirectoryForm.safeParse(await c.req.parseBody());
    if (!parsed.success) {
      const body = await c.req.parseBody();
      const values = { type: String(body.type ?? ""), name: String(body.name ?? "") };
      const error = parsed.error.issues.map((i) => (i.path[0] === "type" ? "Choose your identity provider." : i.message)).join(" ");
      return c.html(<NewDirectoryPage ctx={{ branding: await getBranding(deps.db), session }} error={error} values={values} />, 400);
    }
    const directory = await createDirectory(deps.db, accessOf(session), { organization_id: session.organizationId, type: parsed.data.type, name: parsed.data.name }, deps.clock.now());
    await recordAudit(
      deps.db,
      { organizationId: session.organizationId, actor: actor(c, session), action: "directory.created", targetId: directory.id, detail: { type: directory.type, name: directory.name } },
      deps.clock.now(),
    );
    if (!isScimDirectoryType(directory.type)) return c.redirect(`/portal/directories/${directory.id}`, 303);
    // The token is rendered in this response, not after a redirect, so it exists in one page only.
    const token = await issueScimToken(deps.db, directory.id, deps.clock.now());
    return c.html(await renderDirectoryPage(c, directory, { token }), 201);
  });

  app.post("/directories/:id/scim_token", async (c) => {
    const session = c.var.session;
    const directory = await getDirectory(deps.db, accessOf(session), c.req.param("id"));
    if (!directory) throw new GatewayError("not_found", "There is no such directory in your organization.");
    if (!isScimDirectoryType(directory.type)) throw new GatewayError("invalid_input", "This directory does not use SCIM tokens.");
    const token = await issueScimToken(deps.db, directory.id, deps.clock.now());
    await recordAudit(deps.db, { organizationId: session.organizationId, actor: actor(c, session), action: "directory.scim_token.rotated", targetId: directory.id }, deps.clock.now());
    return c.html(await renderDirectoryPage(c, directory, { token }));
  });

  /** The live log's data, polled by the page's script every few seconds. */
  app.get("/directories/:id/activity", async (c) => {
    const directory = await getDirectory(deps.db, accessOf(c.var.session), c.req.param("id"));
    if (!directory) return c.json({ error: "not found" }, 404);
    return c.json(await loadActivity(deps, directory));
  });

  app.get("/directories/:id", async (c) => {
    const directory = await getDirectory(deps.db, accessOf(c.var.session), c.req.param("id"));
    if (!directory) throw new GatewayError("not_found", "There is no such directory in your organization.");
    return c.html(await renderDirectoryPage(c, directory));
  });

  registerPullRoutes(app, deps);
  registerMappingRoutes(app, deps);

  app.post("/logout", async (c) => {
    const session = c.var.session;
    await endPortalSession(deps.db, session.id);
    await recordAudit(deps.db, { organizationId: session.organizationId, actor: actor(c, session), action: "portal.session.ended" }, deps.clock.now());
    deleteCookie(c, COOKIE, { path: "/portal" });
    const branding = await getBranding(deps.db);
    return c.html(<ProblemPage branding={branding} title="You are signed out" message="You can close this tab." returnUrl={session.returnUrl} />);
  });

  app.notFound(async (c) => c.html(<ProblemPage branding={await getBranding(deps.db)} title="Page not found" message="There is nothing at this address." />, 404));

  app.onError(async (error, c) => {
    const branding = await getBranding(deps.db).catch(() => null);
    const known = error instanceof GatewayError ? error : null;
    if (!known) c.var.log?.error({ err: error }, "portal error");
    const status = known ? statusOf(known.code) : 500;
    const message = known ? known.detail : "Something went wrong on our side. Try again in a moment.";
    const page = <ProblemPage branding={branding ?? { app_name: "Directory sync", logo_url: null, accent_color: "#3b4fd8" }} title="That did not work" message={message} returnUrl={c.var.session?.returnUrl} />;
    return c.html(page, status);
  });

  return app;
}

function isHttps(c: Context, deps: Deps): boolean {
  return new URL(c.req.url).protocol === "https:" || Boolean(deps.config.DSYNC_BASE_URL?.startsWith("https://"));
}
