// A sync run's page; for a test run (a dry run), what the first sync would do: counts, sample users
// as the app will receive them, data-quality findings, the deletion guard's warning, and the
// button that activates the directory. Plain rendering; no database access.
import type { Directory, DirectoryUser } from "../model/index.js";
import type { SyncRun } from "../sync/sync-runs.js";
import { explainSyncRun } from "./explain.js";
import { Frame, StateBadge, type PageContext } from "./layout.js";
import { resultBadge } from "./live-log.js";
import { HeldDeletions } from "./pull-pages.js";

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
