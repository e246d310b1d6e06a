// The directory page's parts for pull directories (Entra Graph, Google Admin, Okta API): the
// credentials form with the permissions to grant, test connection, sync now, and the decision on
// deletions the deletion guard held. Plain rendering; no database access.
import type { Directory } from "../model/index.js";
import type { PullStatus } from "../sync/pull-link.js";
import type { SyncRun } from "../sync/sync-runs.js";
import { explainSyncFailure, explainSyncRun } from "./explain.js";
import { Alert, type PageContext } from "./layout.js";
import { resultBadge } from "./live-log.js";
import { fieldName, type PullField, type PullInstructions } from "./pull-instructions.js";

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
          <div class="actions">
            {pull.held ? null : (
              <form method="post" action={`${base}/sync`} class="inline">
                <input type="hidden" name="_csrf" value={ctx.session.csrfToken} />
                <button type="submit" class="button secondary">
                  Sync now
                </button>
              </form>
            )}
            <form method="post" action={`${base}/test`} class="inline">
              <input type="hidden" name="_csrf" value={ctx.session.csrfToken} />
              <button type="submit" class="button secondary">
                Test run (changes nothing)
              </button>
            </form>
          </div>
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
      <Alert message={state?.general} />
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
export function HeldDeletions({ ctx, directory, run, idp }: { ctx: PageContext; directory: Directory; run: SyncRun; idp: string }) {
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
