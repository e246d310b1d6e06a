// The portal's parts for pull directories (Entra Graph, Google Admin, Okta API): the credentials
// form with the permissions to grant, the test connection and its dry-run result, activation, and
// the decision on deletions the deletion guard held. Plain rendering; no database access.
import type { Directory, DirectoryUser } from "../model/index.js";
import type { PullStatus } from "../sync/pull-link.js";
import type { SyncRun } from "../sync/sync-runs.js";
import type { Branding } from "./branding.js";
import { explainSyncFailure, explainSyncRun } from "./explain.js";
import { Frame, StateBadge } from "./layout.js";
import { resultBadge } from "./live-log.js";
import { fieldName, type PullField, type PullInstructions } from "./pull-instructions.js";
import type { PortalSession } from "./sessions.js";

interface PageContext {
  branding: Branding;
  session: PortalSession;
}

/** What the admin typed (secrets excluded) and what was wrong with it, to render the form again. */
export interface CredentialsFormState {
  values: Record<string, string>;
  errors: Record<string, string>;
  general?: string | undefined;
  method?: string | undefined;
}

/** Everything the directory page shows about a pull directory. */
export interface PullView {
  guide: PullInstructions;
  status: PullStatus | null;
  lastRun: SyncRun | null;
  lastTest: SyncRun | null;
  held: SyncRun | null;
  form?: CredentialsFormState | undefined;
}

const when = (iso: string | null | undefined) => (iso ? `${iso.replace("T", " ").slice(0, 16)} UTC` : "—");

/** The pull-specific sections of the directory page, in the order an admin needs them. */
export function PullSections({ ctx, directory, pull }: { ctx: PageContext; directory: Directory; pull: PullView }) {
  const base = `/portal/directories/${directory.id}`;
  const configured = pull.status?.has_credentials ?? false;
  const active = directory.state === "linked";
  return (
    <>
      {pull.held ? <HeldDeletions ctx={ctx} directory={directory} run={pull.held} idp={pull.guide.idp} /> : null}
      {directory.state === "invalid_credentials" && pull.status?.state_reason ? (
        <div class="alert" role="alert">
          <p>{explainSyncFailure(pull.status.state_reason, pull.guide.idp)}</p>
          <details>
            <summary>Details</summary>
            <pre>{pull.status.state_reason}</pre>
          </details>
        </div>
      ) : null}

      {directory.state === "validating" ? (
        <section aria-labelledby="test-heading" class="card stack">
          <h2 id="test-heading">Test the connection</h2>
          <p>
            The credentials work. Before anything is synced, run a test: it reads your directory and shows what the first sync would do.
            Nothing is changed, and {ctx.branding.app_name} is told nothing yet.
          </p>
          <form method="post" action={`${base}/test`}>
            <input type="hidden" name="_csrf" value={ctx.session.csrfToken} />
            <button type="submit" class="button">
              Test connection
            </button>
          </form>
          {pull.lastTest ? (
            <p>
              Last test: {when(pull.lastTest.started_at)}. <a href={`${base}/sync_runs/${pull.lastTest.id}`}>See its result and activate</a>
            </p>
          ) : null}
        </section>
      ) : null}

      {active ? (
        <section aria-labelledby="sync-heading">
          <h2 id="sync-heading">Sync</h2>
          <dl class="facts">
            <dt>Last sync</dt>
            <dd>
              {pull.lastRun ? (
                <>
                  {when(pull.lastRun.started_at)} <span class={resultBadge(explainSyncRun(pull.lastRun, pull.guide.idp))}>{explainSyncRun(pull.lastRun, pull.guide.idp).result}</span>
                </>
              ) : (
                "Not yet"
              )}
            </dd>
            <dt>Next sync</dt>
            <dd>{when(pull.status?.next_incremental_sync_at)}</dd>
          </dl>
          <form method="post" action={`${base}/sync`} class="inline-actions">
            <input type="hidden" name="_csrf" value={ctx.session.csrfToken} />
            <button type="submit" class="button secondary">
              Sync now
            </button>
          </form>
        </section>
      ) : null}

      {configured && !pull.form ? (
        <details class="card" open={directory.state === "invalid_credentials"}>
          <summary>Change credentials</summary>
          <PullSetup ctx={ctx} directory={directory} pull={pull} />
        </details>
      ) : (
        <PullSetup ctx={ctx} directory={directory} pull={pull} />
      )}
    </>
  );
}

function PullSetup({ ctx, directory, pull }: { ctx: PageContext; directory: Directory; pull: PullView }) {
  const { guide } = pull;
  return (
    <section aria-labelledby="setup-heading">
      <h2 id="setup-heading">Connect {guide.idp}</h2>
      <h3>Permissions to grant</h3>
      <p>{guide.permissions.intro}</p>
      <ul class="list">
        {guide.permissions.items.map((p) => (
          <li>
            <code>{p}</code>
          </li>
        ))}
      </ul>
      <h3>Steps in {guide.idp}</h3>
      <ol class="steps">
        {guide.steps.map((step) => (
          <li>{step}</li>
        ))}
      </ol>
      <CredentialsForm ctx={ctx} directory={directory} guide={guide} state={pull.form} settings={pull.status?.settings ?? {}} />
    </section>
  );
}

function CredentialsForm({
  ctx,
  directory,
  guide,
  state,
  settings,
}: {
  ctx: PageContext;
  directory: Directory;
  guide: PullInstructions;
  state: CredentialsFormState | undefined;
  settings: Record<string, unknown>;
}) {
  const method = state?.method ?? guide.methods?.[0]?.value;
  const basic = guide.fields.filter((f) => !f.advanced);
  const advanced = guide.fields.filter((f) => f.advanced);
  // Advanced values already saved (an emulator or a national cloud) are shown, so a change keeps them.
  const value = (f: PullField) => state?.values[fieldName(f)] ?? (f.in === "settings" && typeof settings[f.key] === "string" && advancedChanged(f, settings[f.key] as string) ? (settings[f.key] as string) : "");
  const openAdvanced = advanced.some((f) => value(f) !== "" || state?.errors[fieldName(f)]);
  return (
    <form method="post" action={`/portal/directories/${directory.id}/credentials`} class="stack" id="credentials-form">
      <h3>Credentials</h3>
      {state?.general ? (
        <p class="alert" role="alert">
          {state.general}
        </p>
      ) : null}
      <input type="hidden" name="_csrf" value={ctx.session.csrfToken} />
      {guide.methods ? (
        <fieldset>
          <legend>How should we sign in to {guide.idp}?</legend>
          {guide.methods.map((m) => (
            <label class="choice">
              <input type="radio" name="method" value={m.value} checked={m.value === method} />
              <span>{m.label}</span>
            </label>
          ))}
        </fieldset>
      ) : null}
      {basic.map((f) => (
        <Field field={f} value={value(f)} error={state?.errors[fieldName(f)]} note={f.method && guide.methods ? `Only for “${guide.methods.find((m) => m.value === f.method)?.label}”.` : undefined} />
      ))}
      {advanced.length ? (
        <details open={openAdvanced}>
          <summary>Advanced</summary>
          <p class="muted">Leave these empty unless you use a national cloud, a proxy, or a test server.</p>
          {advanced.map((f) => (
            <Field field={f} value={value(f)} error={state?.errors[fieldName(f)]} />
          ))}
        </details>
      ) : null}
      <button type="submit" class="button">
        Check and save credentials
      </button>
      <p class="muted">We check the credentials with {guide.idp} as you save them. They are stored encrypted and never shown again.</p>
    </form>
  );
}

function advancedChanged(field: PullField, saved: string): boolean {
  return field.placeholder ? saved.replace(/\/+$/, "") !== field.placeholder.replace(/\/+$/, "") : true;
}

function Field({ field, value, error, note }: { field: PullField; value: string; error?: string | undefined; note?: string | undefined }) {
  const id = `f-${field.in}-${field.key}`;
  const described = [field.help || note ? `${id}-help` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  const common = { id, name: fieldName(field), "aria-describedby": described, "aria-invalid": error ? "true" : undefined, placeholder: field.placeholder };
  return (
    <div class="field">
      <label for={id}>
        {field.label}
        {field.optional ? <span class="muted"> (optional)</span> : null}
      </label>
      {field.kind === "textarea" ? (
        <textarea {...common} rows={field.key === "private_key" ? 6 : 8} spellcheck={false}>
          {value}
        </textarea>
      ) : (
        <input {...common} type={field.kind === "secret" ? "password" : field.kind === "email" ? "email" : field.kind === "url" ? "url" : "text"} value={value} autocomplete="off" spellcheck={false} />
      )}
      {field.help || note ? (
        <p class="muted hint" id={`${id}-help`}>
          {[field.help, note].filter(Boolean).join(" ")}
        </p>
      ) : null}
      {error ? (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The deletion guard's question: the run, what it would delete, and the two answers. */
function HeldDeletions({ ctx, directory, run, idp }: { ctx: PageContext; directory: Directory; run: SyncRun; idp: string }) {
  const deletions = (run.preview?.deletions ?? {}) as { users?: number; groups?: number; memberships?: number; total_users?: number; sample_users?: { id: string; email: string | null; name: string | null }[] };
  const base = `/portal/directories/${directory.id}/sync_runs/${run.id}`;
  return (
    <section aria-labelledby="held-heading" class="card stack attention" id="held-deletions">
      <h2 id="held-heading">Deletions waiting for your decision</h2>
      <p>
        The sync of {when(run.started_at)} found {deletions.users ?? 0} of {deletions.total_users ?? 0} users missing from {idp}, more than the safety limit
        allows. It applied everything else and deleted nobody. If they really left, confirm; if {idp} lost them by mistake (a filter or an
        assignment changed), reject and fix it there.
      </p>
      <p>
        Would delete: {deletions.users ?? 0} users, {deletions.groups ?? 0} groups, {deletions.memberships ?? 0} group memberships.
      </p>
      {deletions.sample_users?.length ? (
        <>
          <h3>Some of the users it would delete</h3>
          <ul class="list">
            {deletions.sample_users.map((u) => (
              <li>
                {u.name ?? "(no name)"} <span class="muted">{u.email ?? ""}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <div class="actions">
        <form method="post" action={`${base}/confirm`} class="inline">
          <input type="hidden" name="_csrf" value={ctx.session.csrfToken} />
          <button type="submit" class="button danger">
            Confirm: delete them
          </button>
        </form>
        <form method="post" action={`${base}/reject`} class="inline">
          <input type="hidden" name="_csrf" value={ctx.session.csrfToken} />
          <button type="submit" class="button secondary">
            Reject: keep them
          </button>
        </form>
      </div>
    </section>
  );
}

/** A data-quality finding shown with a dry run (from the normalization's report, when available). */
export interface QualityFinding {
  severity: "error" | "warning" | "info";
  message: string;
  count?: number | undefined;
  examples?: string[] | undefined;
}

export interface SyncRunPageData {
  directory: Directory;
  run: SyncRun;
  idp: string;
  /** Up to a few users as the first sync would write them (normalized and mapped). */
  sampleUsers: DirectoryUser[];
  findings: QualityFinding[] | null;
  held: SyncRun | null;
}

/** One run; for a test run, what the first sync would do, and the button that activates. */
export function SyncRunPage({ ctx, data }: { ctx: PageContext; data: SyncRunPageData }) {
  const { directory, run, idp } = data;
  const base = `/portal/directories/${directory.id}`;
  const entry = explainSyncRun(run, idp);
  const counts = run.counts as { users?: Record<string, number>; groups?: Record<string, number>; memberships?: Record<string, number> };
  const preview = (run.preview ?? {}) as { would_need_confirmation?: boolean; deletions?: { users?: number; total_users?: number } };
  const title = run.dry_run ? "Test result" : entry.what;
  return (
    <Frame title={`${title} · ${directory.name}`} branding={ctx.branding} returnUrl={ctx.session.returnUrl} csrfToken={ctx.session.csrfToken}>
      <p>
        <a href={base}>Back to {directory.name}</a>
      </p>
      <h1>{title}</h1>
      <p class="lead">
        <span class={resultBadge(entry)}>{entry.result}</span> {entry.explanation}
      </p>
      {entry.detail ? (
        <details>
          <summary>Details</summary>
          <pre>{entry.detail}</pre>
        </details>
      ) : null}
      {data.held ? <HeldDeletions ctx={ctx} directory={directory} run={data.held} idp={idp} /> : null}

      {run.status !== "failed" && run.status !== "running" ? (
        <section aria-labelledby="counts-heading">
          <h2 id="counts-heading">{run.dry_run ? "What the first sync would do" : "What this sync did"}</h2>
          <table class="counts">
            <caption class="visually-hidden">Changes by kind</caption>
            <thead>
              <tr>
                <th scope="col"></th>
                <th scope="col">To create</th>
                <th scope="col">To update</th>
                <th scope="col">Unchanged</th>
                <th scope="col">To delete</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">Users</th>
                <td id="users-created">{counts.users?.created ?? 0}</td>
                <td>{(counts.users?.updated ?? 0) + (counts.users?.deactivated ?? 0)}</td>
                <td>{counts.users?.unchanged ?? 0}</td>
                <td>{counts.users?.deleted ?? 0}</td>
              </tr>
              <tr>
                <th scope="row">Groups</th>
                <td id="groups-created">{counts.groups?.created ?? 0}</td>
                <td>{counts.groups?.updated ?? 0}</td>
                <td>{counts.groups?.unchanged ?? 0}</td>
                <td>{counts.groups?.deleted ?? 0}</td>
              </tr>
              <tr>
                <th scope="row">Group memberships</th>
                <td>{counts.memberships?.added ?? 0}</td>
                <td>—</td>
                <td>—</td>
                <td>{counts.memberships?.removed ?? 0}</td>
              </tr>
            </tbody>
          </table>
        </section>
      ) : null}

      {preview.would_need_confirmation ? (
        <p class="alert" role="alert">
          This sync would delete {preview.deletions?.users ?? 0} of {preview.deletions?.total_users ?? 0} users, more than the safety limit. A real sync will
          apply everything else and ask you to confirm the deletions before making them.
        </p>
      ) : null}

      {data.sampleUsers.length ? (
        <section aria-labelledby="sample-heading">
          <h2 id="sample-heading">Sample users, as {ctx.branding.app_name} will receive them</h2>
          <SampleUsers users={data.sampleUsers} />
        </section>
      ) : null}

      {data.findings ? <Findings findings={data.findings} /> : null}

      {run.dry_run && run.status === "succeeded" && directory.state === "validating" ? (
        <section aria-labelledby="activate-heading" class="card stack">
          <h2 id="activate-heading">Activate</h2>
          <p>
            Activating runs the first sync now and then keeps {ctx.branding.app_name} in step with {idp} on a schedule. {ctx.branding.app_name} is told
            about each user and group it creates.
          </p>
          <form method="post" action={`${base}/activate`}>
            <input type="hidden" name="_csrf" value={ctx.session.csrfToken} />
            <button type="submit" class="button">
              Activate and run the first sync
            </button>
          </form>
        </section>
      ) : null}
      {run.dry_run && directory.state !== "validating" ? (
        <p class="muted">
          This directory is <StateBadge state={directory.state} />; a test run changes nothing.
        </p>
      ) : null}
    </Frame>
  );
}

function SampleUsers({ users }: { users: DirectoryUser[] }) {
  return (
    <table id="sample-users">
      <caption class="visually-hidden">Sample users after mapping</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">E-mail</th>
          <th scope="col">User name</th>
          <th scope="col">Job title</th>
          <th scope="col">Role</th>
          <th scope="col">State</th>
          <th scope="col">Other attributes</th>
        </tr>
      </thead>
      <tbody>
        {users.map((u) => (
          <tr>
            <td>{u.name ?? ([u.first_name, u.last_name].filter(Boolean).join(" ") || "—")}</td>
            <td>{u.email ?? "—"}</td>
            <td>{u.username ?? "—"}</td>
            <td>{u.job_title ?? "—"}</td>
            <td>{u.role?.slug ?? "—"}</td>
            <td>
              <StateBadge state={u.state} />
            </td>
            <td>
              {Object.entries(u.custom_attributes ?? {})
                .filter(([, v]) => v !== null && v !== undefined && v !== "")
                .slice(0, 6)
                .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
                .join("; ") || "—"}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Findings({ findings }: { findings: QualityFinding[] }) {
  return (
    <section aria-labelledby="findings-heading">
      <h2 id="findings-heading">Data quality</h2>
      {findings.length === 0 ? (
        <p class="status ok">No problems found in the users read.</p>
      ) : (
        <ul class="list findings">
          {findings.map((f) => (
            <li class={`finding-${f.severity}`}>
              <strong>{f.severity === "error" ? "Problem" : f.severity === "warning" ? "Check" : "Note"}:</strong> {f.message}
              {f.examples?.length ? <span class="muted"> For example: {f.examples.slice(0, 3).join(", ")}.</span> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
