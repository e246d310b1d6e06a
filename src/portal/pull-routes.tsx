// The portal's routes for pull directories: save and check credentials, test the connection (a dry
// run), activate, sync now, and confirm or reject held deletions. Each calls the function the REST
// API calls (sync/pull-link, sync/scheduler) and writes the audit log; none writes on its own.
import type { Context, Hono } from "hono";
import type { Deps } from "../deps.js";
import { GatewayError } from "../errors.js";
import type { Directory, DirectoryUser } from "../model/index.js";
import { activatePullDirectory, linkPullDirectory, preparePullDirectory, pullStatus } from "../sync/pull-link.js";
import { pullSourceFor } from "../sync/pull-sources.js";
import { PullSyncScheduler } from "../sync/scheduler.js";
import { getSyncRunRow, listSyncRuns, pendingConfirmation, toSyncRun, type SyncRun } from "../sync/sync-runs.js";
import { getDirectory } from "../tenancy/directories.js";
import { checkWebhookUrl } from "../webhooks/index.js";
import { idpName } from "./activity.js";
import { recordAudit } from "./audit.js";
import { getBranding } from "./branding.js";
import { renderDirectoryPage } from "./directory-view.js";
import { accessOf, actor, type PortalEnv } from "./env.js";
import { explainSyncFailure } from "./explain.js";
import { fieldName, PULL_INSTRUCTIONS, readCredentialsForm, type PullField } from "./pull-instructions.js";
import type { CredentialsFormState } from "./pull-pages.js";
import { SyncRunPage, type QualityFinding } from "./sync-run-page.js";

const SAMPLE_USERS = 5;

export function registerPullRoutes(app: Hono<PortalEnv>, deps: Deps): void {
  const audit = (c: Context<PortalEnv>, action: string, directory: Directory, detail?: Record<string, unknown>) =>
    recordAudit(deps.db, { organizationId: c.var.session.organizationId, actor: actor(c, c.var.session), action, targetId: directory.id, detail }, deps.clock.now());
  const scheduler = () => new PullSyncScheduler(deps);

  app.post("/directories/:id/credentials", async (c) => {
    const directory = await pullDirectory(c);
    const guide = PULL_INSTRUCTIONS[directory.type]!;
    const form = await c.req.parseBody();
    const { credentials, settings: advanced, method } = readCredentialsForm(guide, form);
    // What the form shows is what is saved: advanced fields left empty go back to their defaults.
    const current = (await pullStatus(deps, directory.id))?.settings ?? {};
    const advancedKeys = new Set(guide.fields.filter((f) => f.in === "settings").map((f) => f.key));
    const settings = { ...Object.fromEntries(Object.entries(current).filter(([k]) => !advancedKeys.has(k))), ...advanced };
    // Secrets are never echoed back into the page.
    const values = Object.fromEntries(
      guide.fields.filter((f) => f.kind !== "secret" && f.kind !== "textarea").flatMap((f) => (typeof form[fieldName(f)] === "string" ? [[fieldName(f), form[fieldName(f)] as string]] : [])),
    );
    let prepared;
    try {
      prepared = preparePullDirectory(directory.type, credentials, settings)!;
    } catch (error) {
      if (!(error instanceof GatewayError) || error.code !== "invalid_input") throw error;
      return c.html(await renderDirectoryPage(c, directory, { form: formErrors(error, values, method, guide.fields.map(fieldName)) }), 400);
    }
    const refused = await refusedEndpoints(deps, guide.fields, { credentials, settings: advanced });
    if (Object.keys(refused).length > 0) {
      const form = { values, errors: refused, method, general: "Some addresses cannot be used." };
      return c.html(await renderDirectoryPage(c, directory, { form }), 400);
    }
    const scope = scopeOf(directory);
    await linkPullDirectory(deps, scope, prepared, { activate: directory.state === "linked" });
    const checked = (await getDirectory(deps.db, accessOf(c.var.session), directory.id))!;
    await audit(c, "directory.credentials.saved", directory, { state: checked.state });
    if (checked.state === "invalid_credentials") {
      const reason = (await pullStatus(deps, directory.id))?.state_reason ?? "";
      const general = `${guide.idp} refused these credentials. ${explainSyncFailure(reason, guide.idp)}`;
      return c.html(await renderDirectoryPage(c, checked, { form: { values, errors: {}, general, method } }), 400);
    }
    return c.redirect(`/portal/directories/${directory.id}`, 303);
  });

  // Test connection: a dry run of a full sync. Nothing is written and no event is emitted.
  app.post("/directories/:id/test", async (c) => {
    const directory = await pullDirectory(c);
    if (!(await pullStatus(deps, directory.id))?.has_credentials) throw new GatewayError("conflict", "Enter and save the credentials first.");
    const run = await scheduler().syncNow(scopeOf(directory), directory.type, { full: true, dryRun: true });
    await audit(c, "directory.connection.tested", directory, { sync_run_id: run.id, status: run.status });
    return c.redirect(`/portal/directories/${directory.id}/sync_runs/${run.id}`, 303);
  });

  app.get("/directories/:id/sync_runs/:run_id", async (c) => {
    const directory = await pullDirectory(c);
    const scope = scopeOf(directory);
    const row = await getSyncRunRow(deps.db, scope, c.req.param("run_id"));
    if (!row) throw new GatewayError("not_found", "There is no such sync run for this directory.");
    const run = toSyncRun(row);
    const held = await pendingConfirmation(deps.db, scope);
    const data = { directory, run, idp: idpName(directory), sampleUsers: sampleUsers(run), findings: findingsOf(run, idpName(directory)), held: held ? toSyncRun(held) : null };
    return c.html(<SyncRunPage ctx={{ branding: await getBranding(deps.db), session: c.var.session }} data={data} />);
  });

  // Activation follows a successful test: the admin has seen what the first sync will do.
  app.post("/directories/:id/activate", async (c) => {
    const directory = await pullDirectory(c);
    const scope = scopeOf(directory);
    const lastTest = (await listSyncRuns(deps.db, scope, { limit: 20, order: "desc" })).data.find((r) => r.dry_run);
    if (lastTest?.status !== "succeeded") throw new GatewayError("conflict", "Test the connection first: activate once its result looks right.");
    // A test of credentials that have since been replaced says nothing about the new ones.
    const savedAt = (await pullStatus(deps, directory.id))?.connection_saved_at;
    if (savedAt && lastTest.started_at < savedAt) throw new GatewayError("conflict", "The connection changed after the last test: test it again, then activate.");
    await activatePullDirectory(deps, scope);
    await audit(c, "directory.activated", directory);
    const run = await startSync(deps, directory, true);
    await audit(c, "directory.sync.started", directory, { sync_run_id: run.id, full: true });
    return c.redirect(`/portal/directories/${directory.id}`, 303);
  });

  app.post("/directories/:id/sync", async (c) => {
    const directory = await pullDirectory(c);
    if (directory.state !== "linked") throw new GatewayError("conflict", "Activate the directory before syncing it.");
    const run = await startSync(deps, directory, false);
    await audit(c, "directory.sync.started", directory, { sync_run_id: run.id, full: false });
    return c.redirect(`/portal/directories/${directory.id}`, 303);
  });

  for (const decision of ["confirm", "reject"] as const) {
    app.post(`/directories/:id/sync_runs/:run_id/${decision}`, async (c) => {
      const directory = await pullDirectory(c);
      const run = await scheduler()[decision](scopeOf(directory), c.req.param("run_id"));
      await audit(c, decision === "confirm" ? "directory.deletions.confirmed" : "directory.deletions.rejected", directory, { sync_run_id: run.id, deleted: run.deleted });
      return c.redirect(`/portal/directories/${directory.id}`, 303);
    });
  }
}

/** The session's pull directory named in the path; another organization's is not found. */
async function pullDirectory(c: Context<PortalEnv>): Promise<Directory> {
  const directory = await getDirectory(c.var.deps.db, accessOf(c.var.session), c.req.param("id") ?? "");
  if (!directory) throw new GatewayError("not_found", "There is no such directory in your organization.");
  if (!pullSourceFor(directory.type)) throw new GatewayError("invalid_input", "This directory is not read from an API.");
  return directory;
}

const scopeOf = (directory: Directory) => ({ organizationId: directory.organization_id, directoryId: directory.id });

/** Starts a sync that goes on after this request (as POST /directories/:id/sync does); answers with its run as it starts. */
function startSync(deps: Deps, directory: Directory, full: boolean): Promise<SyncRun> {
  return new PullSyncScheduler(deps).startNow(scopeOf(directory), directory.type, { full });
}

/** The users a dry run would create or update, as its first events carry them (normalized and mapped). */
function sampleUsers(run: SyncRun): DirectoryUser[] {
  const events = ((run.preview?.events as { sample?: { event: string; data: unknown }[] } | undefined)?.sample ?? []).filter(
    (e) => e.event === "dsync.user.created" || e.event === "dsync.user.updated",
  );
  return events.slice(0, SAMPLE_USERS).map((e) => (typeof e.data === "string" ? JSON.parse(e.data) : e.data) as DirectoryUser);
}

const FINDINGS: Record<string, { severity: QualityFinding["severity"]; text: (n: number, idp: string) => string }> = {
  missing_email: { severity: "warning", text: (n, idp) => `${users(n)} no e-mail address. They are synced anyway; add one in ${idp}, or map another attribute to E-mail.` },
  invalid_email: { severity: "warning", text: (n, idp) => `${users(n)} an e-mail address that is not well-formed. Correct it in ${idp}.` },
  duplicate_email: { severity: "error", text: (n, idp) => `${users(n)} an e-mail address another user also has. Sign-in by e-mail may pick the wrong account; make them unique in ${idp}.` },
  duplicate_username: { severity: "error", text: (n, idp) => `${users(n)} a user name another user also has. Make them unique in ${idp}.` },
  missing_required_field: { severity: "warning", text: (n) => `${users(n)} no value for a field the mapping marks as required.` },
};
const users = (n: number) => (n === 1 ? "1 user has" : `${n} users have`);

/** The dry run's data-quality report in plain words; null for runs that carry none. */
function findingsOf(run: SyncRun, idp: string): QualityFinding[] | null {
  const report = run.preview?.data_quality as { summary: { by_reason: Record<string, number> }; sample: { reason: string; idp_id: string; value: unknown }[] } | undefined;
  if (!report) return null;
  return Object.entries(report.summary.by_reason).flatMap(([reason, count]) => {
    const finding = FINDINGS[reason];
    if (!finding || count === 0) return [];
    const examples = report.sample.filter((i) => i.reason === reason).map((i) => (typeof i.value === "string" && i.value ? i.value : i.idp_id));
    return [{ severity: finding.severity, message: finding.text(count, idp), count, examples: [...new Set(examples)] }];
  });
}

/**
 * The addresses a portal admin typed (org URL, advanced endpoints) must be public https hosts: the
 * gateway sends requests, with tokens, there. Operators set them freely through the REST API, and
 * DSYNC_PORTAL_ALLOW_PRIVATE_ENDPOINTS lifts the rule for emulators and local development.
 */
async function refusedEndpoints(deps: Deps, fields: PullField[], given: { credentials: Record<string, string>; settings: Record<string, string> }): Promise<Record<string, string>> {
  const refused: Record<string, string> = {};
  for (const field of fields) {
    const value = field.kind === "url" ? given[field.in][field.key] : undefined;
    if (!value) continue;
    const verdict = await checkWebhookUrl(value, { allowPrivate: deps.config.DSYNC_PORTAL_ALLOW_PRIVATE_ENDPOINTS });
    if (!verdict.ok) refused[fieldName(field)] = verdict.reason.startsWith("must use https") ? "Must use https://." : `Cannot be used: ${verdict.reason}.`;
  }
  return refused;
}

/** Field errors from the REST validation, keyed by the form's field names. */
function formErrors(error: GatewayError, values: Record<string, string>, method: string | undefined, known: string[]): CredentialsFormState {
  const errors: Record<string, string> = {};
  const other: string[] = [];
  for (const f of error.fields ?? []) {
    const missing = f.code === "invalid_type" && /received undefined/.test(f.message);
    const message = missing ? "This field is required" : f.message.charAt(0).toUpperCase() + f.message.slice(1);
    const name = known.find((k) => f.field === k || f.field.startsWith(`${k}.`));
    if (name && !errors[name]) errors[name] = `${message}.`;
    else if (!name) other.push(`${f.field}: ${f.message}`);
  }
  return { values, errors, method, general: `Some fields need attention.${other.length ? ` ${other.join("; ")}` : ""}` };
}
