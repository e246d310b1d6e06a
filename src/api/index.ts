// The REST API surface, served at the root as WorkOS serves it (the SDK takes a host, no base path).
import type { Hono } from "hono";
import { directoriesApi } from "./directories.js";
import { directoryScimApi } from "./directory-scim.js";
import { directorySyncApi } from "./directory-sync.js";
import { directoryNormalizationApi } from "./directory-normalization.js";
import { directoryGroupsApi } from "./directory-groups.js";
import { directoryUsersApi } from "./directory-users.js";
import type { ApiEnv } from "./env.js";
import { eventsApi } from "./events.js";
import { organizationsApi } from "./organizations.js";
import { auditEventsApi, portalBrandingApi, portalLinksApi } from "./portal.js";
import { webhookEndpointsApi } from "./webhook-endpoints.js";

export type { ApiEnv } from "./env.js";
export { renderApiError } from "./errors.js";

export function registerApi(app: Hono<ApiEnv>): void {
  app.route("/organizations", organizationsApi);
  app.route("/directories", directoriesApi);
  app.route("/directories/:id", directoryScimApi);
  app.route("/directories/:id", directorySyncApi);
  app.route("/directories/:id", directoryNormalizationApi);
  app.route("/directory_users", directoryUsersApi);
  app.route("/directory_groups", directoryGroupsApi);
  app.route("/events", eventsApi);
  app.route("/webhook_endpoints", webhookEndpointsApi);
  // Exact paths under /portal, so the operator key guards only these and not the portal's pages.
  app.route("/portal/generate_link", portalLinksApi);
  app.route("/portal/branding", portalBrandingApi);
  app.route("/audit_events", auditEventsApi);
}
