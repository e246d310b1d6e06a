// SCIM user replaces and patches (PUT / PATCH /Users/:id) as a batched write: the ones waiting for one
// directory read their users in one query, check changed userNames in one query and go to one
// upsertUsers call, instead of three or four statements each. IdPs deactivate and update users this way
// (Okta's PATCH active false, Entra's Replace "False"), many at once. Each keeps its own answer: the
// user, a 404, a 409 for a userName held by another user, or a 400 from its PATCH.
import type { DirectoryUser } from "../model/index.js";
import { normalizeScimUser, userMappingFor } from "../normalize/index.js";
import { ops, type BatchedWrite, type DirectoryWrite } from "../sync/index.js";
import { findUserIdsByUserNames, getUserRows, type UserRow } from "../sync/lookup.js";
import { resolveManagerRefs } from "../sync/manager-refs.js";
import { scimError } from "./errors.js";

/** One replace or patch: the user and how to compute its next resource from the stored one (may throw a SCIM error). */
export interface UserWrite {
  id: string;
  next(current: Record<string, unknown>): Record<string, unknown>;
}

export const scimUserWrites: BatchedWrite<UserWrite, DirectoryUser, UserRow[]> = {
  name: "scim user writes",
  // The first run's users, read behind the directory lock (in its round trip).
  read: (tx, scope, writes) => getUserRows(tx, scope, runsOf(writes)[0]!.map((write) => write.id)),
  apply: writeUsers,
};

/**
 * Applies the writes in arrival order, in runs in which no user appears twice (runsOf), so each write
 * sees the user as the writes before it left it, and its events come in the same order as applying
 * the writes one by one would emit them.
 */
async function writeUsers(w: DirectoryWrite, writes: UserWrite[], firstRows: UserRow[]): Promise<(DirectoryUser | Error)[]> {
  const out: (DirectoryUser | Error)[] = [];
  for (const [i, run] of runsOf(writes).entries()) {
    const rows = i === 0 ? firstRows : await getUserRows(w.tx, w.scope, run.map((write) => write.id));
    out.push(...(await writeRun(w, run, rows)));
  }
  return out;
}

/** The writes cut, in order, before each one whose user the current run already holds. */
function runsOf(writes: UserWrite[]): UserWrite[][] {
  const runs: UserWrite[][] = [[]];
  for (const write of writes) {
    if (runs.at(-1)!.some((r) => r.id === write.id)) runs.push([]);
    runs.at(-1)!.push(write);
  }
  return runs;
}

async function writeRun(w: DirectoryWrite, run: UserWrite[], stored: UserRow[]): Promise<(DirectoryUser | Error)[]> {
  const rows = new Map(stored.map((row) => [row.id, row]));
  const outcomes: (DirectoryUser | Error | null)[] = [];
  const next = new Map<number, Record<string, unknown>>();
  for (const [i, write] of run.entries()) {
    const row = rows.get(write.id);
    if (!row) {
      outcomes.push(scimError("not_found", `user not found: ${write.id}`));
      continue;
    }
    try {
      next.set(i, write.next(row.rawAttributes));
      outcomes.push(null);
    } catch (error) {
      outcomes.push(error instanceof Error ? error : new Error(String(error)));
    }
  }
  // userName uniqueness (case-insensitive), as the writes one by one would see it: each rename frees
  // the old name and takes the new one for the writes after it.
  const renamed = [...next].filter(([i, resource]) => lower(resource.userName) !== lower(rows.get(run[i]!.id)!.username));
  const holders = await findUserIdsByUserNames(w.tx, w.scope, renamed.map(([, resource]) => resource.userName as string));
  const accepted: number[] = [];
  for (const [i, resource] of next) {
    const row = rows.get(run[i]!.id)!;
    if (lower(resource.userName) !== lower(row.username)) {
      const holder = holders.get(lower(resource.userName));
      if (holder && holder !== row.id) {
        outcomes[i] = scimError("conflict", `a user with userName ${JSON.stringify(resource.userName)} already exists`, "uniqueness");
        continue;
      }
      if (holders.get(lower(row.username)) === row.id) holders.delete(lower(row.username));
      holders.set(lower(resource.userName), row.id);
    }
    accepted.push(i);
  }
  if (accepted.length === 0) return outcomes as (DirectoryUser | Error)[];
  // upsertUsers by the stored idp_id: the IdP may change externalId, the user stays the same.
  const mapping = userMappingFor(w.directory);
  const users = await resolveManagerRefs(w.tx, w.scope, accepted.map((i) => normalizeScimUser(next.get(i)!, rows.get(run[i]!.id)!.idpId, mapping)));
  const results = await ops.upsertUsers(w, users, { existing: accepted.map((i) => rows.get(run[i]!.id)!) });
  accepted.forEach((i, k) => (outcomes[i] = results[k]!.user));
  return outcomes as (DirectoryUser | Error)[];
}

function lower(value: unknown): string {
  return typeof value === "string" ? value.toLowerCase() : "";
}
