// The live sync log: the connection's status line and its latest SCIM requests and sync runs,
// newest first. The page's script polls `data-activity` and redraws both without a reload.
import type { Activity } from "./activity.js";
import type { ActivityEntry } from "./explain.js";

export function LiveLog({ directoryId, activity }: { directoryId: string; activity: Activity }) {
  return (
    <section aria-labelledby="log-heading">
      <h2 id="log-heading">Live sync log</h2>
      <p
        id="sync-status"
        class={activity.connected ? "status ok" : "status waiting"}
        role="status"
        aria-live="polite"
        data-activity={`/portal/directories/${directoryId}/activity`}
        data-busy={activity.busy ? "true" : "false"}
      >
        {activity.status_text}
      </p>
      <ActivityTable entries={activity.entries} />
      <p>
        <a href={`/portal/directories/${directoryId}`}>Refresh</a>
      </p>
    </section>
  );
}

export const resultBadge = (e: Pick<ActivityEntry, "ok" | "pending" | "result">) =>
  e.pending ? "badge badge-validating" : e.ok ? "badge badge-linked" : e.result === "Waiting for you" ? "badge badge-unlinked" : "badge badge-invalid_credentials";

function ActivityTable({ entries }: { entries: ActivityEntry[] }) {
  return (
    <table id="activity">
      <caption class="visually-hidden">Latest requests and syncs, newest first</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">What</th>
          <th scope="col">Result</th>
        </tr>
      </thead>
      <tbody>
        {entries.length === 0 ? (
          <tr>
            <td colspan={3} class="muted">
              Nothing yet.
            </td>
          </tr>
        ) : (
          entries.map((e) => (
            <tr class={e.ok ? "ok" : "failed"}>
              <td>
                <time datetime={e.at}>{e.at.replace("T", " ").slice(0, 19)} UTC</time>
              </td>
              <td>{e.kind === "scim_request" ? <code>{e.what}</code> : e.what}</td>
              <td>
                <span class={resultBadge(e)}>{e.result}</span> {e.explanation}
                {e.detail ? (
                  <details>
                    <summary>Details</summary>
                    <pre>{e.detail}</pre>
                  </details>
                ) : null}
              </td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
