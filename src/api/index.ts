// The REST API surface, served at the root as WorkOS serves it (the SDK takes a host, no base path).
import type { Hono } from "hono";
import { directoriesApi } from "./directories.js";
import { directoryGroupsApi } from "./directory-groups.js";
import { directoryUsersApi } from "./directory-users.js";
import type { ApiEnv } from "./env.js";
import { eventsApi } from "./events.js";
import { organizationsApi } from "./organizations.js";

export type { ApiEnv } from "./env.js";
export { renderApiError } from "./errors.js";

export function registerApi(app: Hono<ApiEnv>): void {
  app.route("/organizations", organizationsApi);
  app.route("/directories", directoriesApi);
  app.route("/directory_users", directoryUsersApi);
  app.route("/directory_groups", directoryGroupsApi);
  app.route("/events", eventsApi);
}
