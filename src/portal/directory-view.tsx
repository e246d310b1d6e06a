// Gathers what a directory's page shows (counts, users and groups with search, SCIM setup or pull
// setup, held deletions, the live log) through the same read functions the REST API uses.
import type { Context } from "hono";
import { baseUrl } from "../config.js";
import { isScimDirectoryType, type Directory } from "../model/index.js";
import { scimBaseUrl } from "../scim/index.js";
import { countDirectoryMembers, listDirectoryGroups, listDirectoryUsers } from "../sync/index.js";
import { pullStatus } from "../sync/pull-link.js";
import { listSyncRuns, pendingConfirmation, toSyncRun } from "../sync/sync-runs.js";
import { loadActivity } from "./activity.js";
import { getBranding } from "./branding.js";
import { accessOf, type PortalEnv } from "./env.js";
import { DirectoryPage } from "./pages.js";
import type { CredentialsFormState, PullView } from "./pull-pages.js";
import { PULL_INSTRUCTIONS } from "./pull-instructions.js";

export interface DirectoryPageOptions {
  /** A SCIM token made in this request: the only time it is shown. */
  token?: string | undefined;
  /** A credentials form to show again, with what was wrong. */
  form?: CredentialsFormState | undefined;
}

const cursor = (value: string | undefined) => (value && value.length <= 100 ? value : undefined);

export async function renderDirectoryPage(c: Context<PortalEnv>, directory: Directory, options: DirectoryPageOptions = {}) {
  const { deps, session } = c.var;
  const access = accessOf(session);
  const search = (c.req.query("q") ?? "").trim().slice(0, 200);
  const groupSearch = (c.req.query("gq") ?? "").trim().slice(0, 200);
  const userPage = { limit: 25, order: "asc" as const, before: cursor(c.req.query("before")), after: cursor(c.req.query("after")) };
  const [counts, users, groups, branding, activity, pull] = await Promise.all([
    countDirectoryMembers(deps.db, access, directory.id),
    listDirectoryUsers(deps.db, access, { directoryId: directory.id, search: search || undefined }, userPage),
    listDirectoryGroups(deps.db, access, { directoryId: directory.id, search: groupSearch || undefined }, { limit: 50, order: "asc", after: cursor(c.req.query("gafter")) }),
    getBranding(deps.db),
    loadActivity(deps, directory),
    loadPullView(c, directory, options.form),
  ]);
  const scim = isScimDirectoryType(directory.type) ? { baseUrl: scimBaseUrl(baseUrl(deps.config), directory.id), token: options.token } : undefined;
  return <DirectoryPage ctx={{ branding, session }} data={{ directory, counts, users, groups, search, groupSearch, scim, pull, activity }} />;
}

async function loadPullView(c: Context<PortalEnv>, directory: Directory, form: CredentialsFormState | undefined): Promise<PullView | undefined> {
  const guide = PULL_INSTRUCTIONS[directory.type];
  if (!guide) return undefined;
  const { db } = c.var.deps;
  const scope = { organizationId: directory.organization_id, directoryId: directory.id };
  const [status, runs, held] = await Promise.all([pullStatus(c.var.deps, directory.id), listSyncRuns(db, scope, { limit: 20, order: "desc" }), pendingConfirmation(db, scope)]);
  return {
    guide,
    status,
    lastRun: runs.data.find((r) => !r.dry_run) ?? null,
    lastTest: runs.data.find((r) => r.dry_run) ?? null,
    held: held ? toSyncRun(held) : null,
    form,
  };
}
