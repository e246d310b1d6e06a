// The live sync log's data: a directory's latest SCIM requests and sync runs, newest first, each
// explained in plain words, and one sentence on how the connection stands. Read-only.
import type { Deps } from "../deps.js";
import { isScimDirectoryType, type Directory } from "../model/index.js";
import { listScimRequests } from "../scim/index.js";
import { countDirectoryMembers } from "../sync/index.js";
import { pullSourceFor } from "../sync/pull-sources.js";
import { listSyncRuns } from "../sync/sync-runs.js";
import { explainScimRequest, explainSyncRun, type ActivityEntry } from "./explain.js";
import { SCIM_INSTRUCTIONS } from "./instructions.js";
import { STATE_WORDS } from "./layout.js";
import { PULL_INSTRUCTIONS } from "./pull-instructions.js";

const LOG_LENGTH = 15;

/** What the page shows above the log and what its script polls. */
export interface Activity {
  connected: boolean;
  state: string;
  state_label: string;
  counts: { users: number; active_users: number; groups: number };
  /** A sync run is going: the page reloads when it ends, to show the new users. */
  busy: boolean;
  status_text: string;
  entries: ActivityEntry[];
}

export function idpName(directory: Directory): string {
  return SCIM_INSTRUCTIONS[directory.type]?.idp ?? PULL_INSTRUCTIONS[directory.type]?.idp ?? "Your identity provider";
}

export async function loadActivity(deps: Deps, directory: Directory): Promise<Activity> {
  const idp = idpName(directory);
  const scope = { organizationId: directory.organization_id, directoryId: directory.id };
  const page = { limit: LOG_LENGTH, order: "desc" as const };
  const access = { kind: "organization" as const, organizationId: directory.organization_id };
  const [requests, runs, counts] = await Promise.all([
    isScimDirectoryType(directory.type) ? listScimRequests(deps.db, directory.id, page) : null,
    pullSourceFor(directory.type) ? listSyncRuns(deps.db, scope, page) : null,
    countDirectoryMembers(deps.db, access, directory.id),
  ]);
  const entries = [...(requests?.data.map((r) => explainScimRequest(r, idp)) ?? []), ...(runs?.data.map((r) => explainSyncRun(r, idp)) ?? [])]
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
    .slice(0, LOG_LENGTH);
  const connected = directory.state === "linked";
  const busy = runs?.data.some((r) => r.status === "running") ?? false;
  const state = directory.state;
  return { connected, state, state_label: STATE_WORDS[state] ?? state, counts, busy, status_text: statusText(directory, idp, busy), entries };
}

function statusText(directory: Directory, idp: string, busy: boolean): string {
  if (isScimDirectoryType(directory.type)) return directory.state === "linked" ? `Connected: ${idp} is sending data.` : `Waiting for the first request from ${idp}…`;
  if (busy) return `Syncing from ${idp} now…`;
  switch (directory.state) {
    case "linked":
      return `Active: we read ${idp} on a schedule.`;
    case "validating":
      return "The credentials work. Test the connection, then activate it.";
    case "invalid_credentials":
      return `${idp} refused the credentials. Enter working ones to continue.`;
    default:
      return `Waiting for your ${idp} credentials.`;
  }
}
