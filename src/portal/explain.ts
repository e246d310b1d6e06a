// Plain-words explanations of what happened to a logged SCIM request or a pull sync run, for IT
// admins who should not need to read HTTP status codes or OAuth errors. The raw detail stays one
// click away on the page.
import type { ScimRequestRecord } from "../scim/index.js";
import type { SyncRun } from "../sync/sync-runs.js";

/** One line of the live sync log: a SCIM request or a sync run. */
export interface ActivityEntry {
  kind: "scim_request" | "sync_run";
  id: string;
  at: string;
  /** What happened, in short: "POST /Users" or "Full sync". */
  what: string;
  /** The result badge's words: "OK", "Failed (401)", "Running", "Waiting for you". */
  result: string;
  ok: boolean;
  /** A run still going: the log keeps polling. */
  pending: boolean;
  explanation: string;
  detail: string | null;
}

export function explainScimRequest(request: ScimRequestRecord, idp: string): ActivityEntry {
  const ok = request.status < 400;
  return {
    kind: "scim_request",
    id: request.id,
    at: request.created_at,
    what: `${request.method} ${readable(request.path)}`,
    result: ok ? "OK" : `Failed (${request.status})`,
    ok,
    pending: false,
    explanation: explain(request.status, request.method, idp),
    detail: request.error,
  };
}

/** The logged path with its query decoded (filters read as the IdP wrote them); as is when malformed. */
function readable(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

const RUN_RESULT: Record<SyncRun["status"], string> = {
  running: "Running",
  succeeded: "OK",
  failed: "Failed",
  needs_confirmation: "Waiting for you",
  rejected: "Deletions rejected",
  abandoned: "Interrupted",
};

export function explainSyncRun(run: SyncRun, idp: string): ActivityEntry {
  const what = `${run.dry_run ? "Test run" : run.kind === "full" ? "Full sync" : "Incremental sync"}${run.trigger === "manual" ? " (started by hand)" : ""}`;
  const detail = run.errors.length ? run.errors.map((e) => `${e.at}  ${e.message}`).join("\n") : null;
  return {
    kind: "sync_run",
    id: run.id,
    at: run.started_at,
    what,
    result: RUN_RESULT[run.status],
    ok: run.status === "succeeded" || run.status === "running",
    pending: run.status === "running",
    explanation: explainRun(run, idp),
    detail,
  };
}

function explainRun(run: SyncRun, idp: string): string {
  const read = `read ${plural(run.users_seen, "user")} and ${plural(run.groups_seen, "group")}`;
  const changes = describeChanges(run);
  switch (run.status) {
    case "running":
      return `Reading your directory from ${idp}…`;
    case "succeeded":
      if (run.dry_run) return `Nothing was changed: this run only showed what a sync would do (${read}).`;
      return run.created + run.updated + run.deleted === 0 ? `Everything was already up to date (${read}).` : `Done: ${changes} (${read}).`;
    case "needs_confirmation": {
      const deletions = (run.preview?.deletions as { users?: number } | undefined)?.users ?? 0;
      return `This sync would delete ${plural(deletions, "user")}, more than the safety limit allows. Nothing was deleted: confirm or reject the deletions on this page.`;
    }
    case "rejected":
      return "The deletions this sync found were rejected, so nobody was deleted. The next full sync will ask again if they are still missing.";
    case "abandoned":
      return "This sync stopped before it finished (the server running it went away). The next sync picks up where it left off; nothing is lost.";
    case "failed":
      return explainSyncFailure(run.errors.at(-1)?.message ?? "", idp);
  }
}

/** Names the likely cause of a failed sync from the connector's error, in an admin's words. */
export function explainSyncFailure(message: string, idp: string): string {
  const m = message.toLowerCase();
  if (m.includes("no pull credentials")) return `There are no credentials for ${idp} yet. Enter them under Credentials.`;
  if (/aadsts7000222|expired/.test(m) && /secret|client/.test(m)) return `The client secret has expired. Make a new one in ${idp} and enter it under Credentials.`;
  if (/invalid_client|aadsts7000215|invalid client secret/.test(m)) return `${idp} refused the client ID or secret. Check both, or make a new secret, and enter them under Credentials.`;
  if (/aadsts700016|aadsts90002|tenant/.test(m) && /not found|invalid/.test(m)) return `${idp} does not know this tenant or application. Check the Directory (tenant) ID and Application (client) ID.`;
  if (m.includes("unauthorized_client")) return `Google refused access: domain-wide delegation is not granted to the service account's client ID for the scopes listed on this page.`;
  if (m.includes("invalid_grant")) return `Google refused the service account: check that the admin e-mail belongs to an existing user and that the JSON key is current.`;
  if (m.includes("invalid_scope")) return `${idp} refused a permission this connection needs. Grant the scopes listed on this page to the app.`;
  if (/private key/.test(m)) return "The private key could not be read. Paste the whole key, including its BEGIN and END lines.";
  if (/\(40[13]\b|403|authorization_requestdenied|insufficient privileges|forbidden|not authorized/.test(m))
    return `${idp} accepted the sign-in but refused to share the directory: a permission is missing or admin consent was not granted. Grant the permissions listed on this page.`;
  if (/\b429\b|throttl|rate limit|ratelimit|quota/.test(m)) return `${idp} asked us to slow down. The sync waits and tries again by itself; nothing is lost.`;
  if (/could not reach|enotfound|econnrefused|fetch failed|timed? ?out|etimedout|econnreset|socket/.test(m))
    return `We could not reach ${idp}. If you changed an advanced address, check it; otherwise the next sync tries again.`;
  if (/lease/.test(m)) return "Another server took over this sync. It continues there; nothing is lost.";
  if (/\b5\d\d\b|service unavailable|internal server error/.test(m)) return `${idp} had a problem on its side. The next sync tries again by itself.`;
  return `The sync stopped with an error. The detail below says what; if it keeps happening, contact support with it.`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** "created 6 users and 2 groups, deleted 1 user", from the run's per-kind counts. */
function describeChanges(run: SyncRun): string {
  const counts = run.counts as { users?: Record<string, number>; groups?: Record<string, number> };
  const verbs = ["created", "updated", "deactivated", "deleted"] as const;
  const phrases = verbs.flatMap((verb) => {
    const items = [
      counts.users?.[verb] ? plural(counts.users[verb], "user") : null,
      counts.groups?.[verb] ? plural(counts.groups[verb], "group") : null,
    ].filter(Boolean);
    return items.length ? [`${verb} ${items.join(" and ")}`] : [];
  });
  return phrases.length ? phrases.join(", ") : `${run.created} created, ${run.updated} updated, ${run.deleted} deleted`;
}

function explain(status: number, method: string, idp: string): string {
  if (status < 400) {
    if (method === "GET") return `${idp} looked something up.`;
    if (method === "POST") return `${idp} created a user or group.`;
    if (method === "DELETE") return `${idp} deleted a user or group.`;
    return `${idp} updated a user or group.`;
  }
  if (status === 401) return `${idp} sent a wrong or outdated token. Paste the current token into ${idp} again (or make a new one here).`;
  if (status === 404) return `${idp} asked for a user or group that does not exist here, usually one deleted earlier. It normally recovers by itself.`;
  if (status === 409) return `A user with the same user name already exists in this directory, so ${idp}'s new one was refused.`;
  if (status === 413) return `${idp} sent more data in one request than we accept.`;
  if (status === 429) return `${idp} sent requests faster than we accept and was asked to slow down. Nothing was lost; it retries.`;
  if (status >= 500) return `Something failed on our side. ${idp} retries on its own; if this keeps happening, contact support.`;
  return `${idp} sent something we could not accept. The detail below says what.`;
}
