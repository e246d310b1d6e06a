// REST for the admin portal: setup links (as WorkOS names them), the portal's branding, and the
// audit log of what IT admins did in it. Operator key only.
import { z } from "zod";
import { listAuditEvents } from "../portal/audit.js";
import { Branding, getBranding, setBranding } from "../portal/branding.js";
import { createPortalLink, pruneExpired } from "../portal/sessions.js";
import { baseUrl } from "../config.js";
import { resourceRouter } from "./router.js";
import { listParams, readJson, readQuery } from "./validate.js";

const backUrl = z.url({ protocol: /^https?$/, message: "must be an absolute http(s) URL" }).max(2000);

const generateLinkBody = z.strictObject({
  organization: z.string().min(1, "is required"),
  intent: z.literal("dsync", { message: 'must be "dsync"' }),
  return_url: backUrl.optional(),
  success_url: backUrl.optional(),
});

export const portalLinksApi = resourceRouter().post("/", async (c) => {
  const body = await readJson(c, generateLinkBody);
  const { db, clock, config } = c.var.deps;
  await pruneExpired(db, clock.now());
  const { token } = await createPortalLink(
    db,
    { organizationId: body.organization, intent: body.intent, returnUrl: body.return_url, successUrl: body.success_url },
    clock.now(),
  );
  return c.json({ link: `${baseUrl(config)}/portal/launch?secret=${token}` }, 201);
});

export const portalBrandingApi = resourceRouter()
  .get("/", async (c) => c.json(await getBranding(c.var.deps.db)))
  .put("/", async (c) => {
    const body = await readJson(c, Branding);
    return c.json(await setBranding(c.var.deps.db, body, c.var.deps.clock.now()));
  });

const auditQuery = listParams().and(z.object({ organization_id: z.string().min(1).optional() }));

export const auditEventsApi = resourceRouter().get("/", async (c) => {
  const query = readQuery(c, auditQuery);
  return c.json({ object: "list", ...(await listAuditEvents(c.var.deps.db, { organizationId: query.organization_id }, query)) });
});
