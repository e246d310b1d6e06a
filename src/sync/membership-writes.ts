// Membership changes in bulk, for reconcile (the one writer; nothing else calls this): the member
// changes of many groups in one set-based statement that also writes their
// dsync.group.user_added / user_removed events, rendered by the database from the stored rows.
import { and, eq, sql, type SQL } from "drizzle-orm";
import { directoryGroups, directoryUsers, events, groupMemberships } from "../db/schema.js";
import { newId } from "../model/index.js";
import { inTexts, rowsOf } from "./bulk.js";
import type { DirectoryWrite } from "./directory-write.js";
import type { MemberChange, MembershipResult, Ref } from "./reconcile.js";
import { toDirectoryGroup, type GroupRow } from "./render.js";

/** A user as a batch resolves it: ids only; events read the whole user for the edges that changed. */
interface UserKey {
  id: string;
  idpId: string;
}

/** One (group, user) edge of a batch, with the change that asked for it. */
interface Pair {
  change: number;
  group: GroupRow;
  user: UserKey;
}

/**
 * Adds (or removes) members for each change, in order. Returns one result per change; null when
 * the change's group does not exist in this directory (nothing is thrown, so a shared transaction
 * stays usable). A pair named twice is applied once, for the first change naming it. With `mark`
 * (a snapshot run), edges that already existed get the mark too.
 */
export async function writeMemberships(
  w: DirectoryWrite,
  kind: "add" | "remove",
  changes: MemberChange[],
  mark: string | null,
): Promise<(MembershipResult | null)[]> {
  // Both reads sent at once (one round trip on postgres.js).
  const [groups, users] = await Promise.all([resolveGroups(w, changes.map((c) => c.group)), resolveUsers(w, changes.flatMap((c) => c.users))]);
  const pairs: Pair[] = [];
  const seen = new Set<string>();
  const results = changes.map((change, index): MembershipResult | null => {
    const group = groups[index];
    if (!group) return null;
    const missing: Ref[] = [];
    for (const ref of change.users) {
      const user = "id" in ref ? users.byId.get(ref.id) : users.byIdpId.get(ref.idp_id);
      if (!user) {
        missing.push(ref);
        continue;
      }
      const key = `${group.id} ${user.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      pairs.push({ change: index, group, user });
    }
    return { group: toDirectoryGroup(group), added: [], removed: [], missing };
  });
  if (pairs.length === 0) return results;

  // Each pair carries the id its event gets if the pair changes anything (ids sort as pairs do).
  const json = JSON.stringify(pairs.map((p, i) => ({ o: i, g: p.group.id, u: p.user.id, e: newId("event") })));
  const changed = await w.emitInDatabase(async (firstSeq) => {
    const rows = kind === "add" ? await insertEdges(w, json, firstSeq, mark) : await deleteEdges(w, json, firstSeq);
    return { count: rows.length, value: new Set(rows.map((r) => `${r.group_id} ${r.user_id}`)) };
  });
  if (kind === "add" && mark && changed.size < pairs.length) await markExistingEdges(w, json, mark);
  for (const p of pairs) {
    if (!changed.has(`${p.group.id} ${p.user.id}`)) continue;
    const result = results[p.change]!;
    (kind === "add" ? result.added : result.removed).push(p.user.id);
  }
  return results;
}

/**
 * The edges of `pairs` a data-modifying CTE returned (`changed`), numbered in pair order, and one
 * event each: `{ directory_id, user, group }`, spliced by the same statement from the user's and
 * the group's api_json (their API rendering, kept by triggers), so no payload is rendered, sent or
 * parsed per event. The user carries no `groups`, as in WorkOS's membership events (WorkOS has
 * deprecated the field for being unbounded).
 */
function membershipEvents(w: DirectoryWrite, event: "dsync.group.user_added" | "dsync.group.user_removed", json: string, changed: SQL, firstSeq: number): SQL {
  return sql`
    with x as (select * from json_to_recordset(${json}::json) as x(o int, g text, u text, e text)),
    changed as (${changed}),
    applied as (
      select x.o, x.e, x.g, x.u, row_number() over (order by x.o) as n
      from changed c join x on x.g = c.group_id and x.u = c.user_id
    ),
    emitted as (
      insert into ${events} (id, organization_id, directory_id, directory_seq, event, data, created_at)
      select a.e, ${w.scope.organizationId}, ${w.scope.directoryId}, ${firstSeq - 1}::bigint + a.n, ${event},
        (${`{"directory_id":${JSON.stringify(w.scope.directoryId)},"user":`}::text || u.api_json || ',"group":' || g.api_json || '}'),
        ${w.now.toISOString()}::timestamptz
      from applied a join ${directoryUsers} u on u.id = a.u join ${directoryGroups} g on g.id = a.g
      order by a.n
    )
    select g as group_id, u as user_id from applied`;
}

/** Inserts the edges that do not exist yet, with their dsync.group.user_added events; returns the edges inserted. */
async function insertEdges(w: DirectoryWrite, json: string, firstSeq: number, mark: string | null): Promise<Edge[]> {
  const changed = sql`
    insert into ${groupMemberships} (directory_id, group_id, user_id, sync_mark, created_at)
    select ${w.scope.directoryId}, x.g, x.u, ${mark}, ${w.now.toISOString()}::timestamptz from x
    on conflict do nothing
    returning group_id, user_id`;
  return rowsOf<Edge>(await w.tx.execute(membershipEvents(w, "dsync.group.user_added", json, changed, firstSeq)));
}

/** Deletes the edges that exist, with their dsync.group.user_removed events; returns the edges deleted. */
async function deleteEdges(w: DirectoryWrite, json: string, firstSeq: number): Promise<Edge[]> {
  const changed = sql`
    delete from ${groupMemberships} m using x
    where m.directory_id = ${w.scope.directoryId} and m.group_id = x.g and m.user_id = x.u
    returning m.group_id, m.user_id`;
  return rowsOf<Edge>(await w.tx.execute(membershipEvents(w, "dsync.group.user_removed", json, changed, firstSeq)));
}

/** A snapshot run saw these edges too, where they existed already: they get its mark. */
async function markExistingEdges(w: DirectoryWrite, json: string, mark: string): Promise<void> {
  await w.tx.execute(sql`
    update ${groupMemberships} m set sync_mark = ${mark}
    from json_to_recordset(${json}::json) as x(g text, u text)
    where m.directory_id = ${w.scope.directoryId} and m.group_id = x.g and m.user_id = x.u and m.sync_mark is distinct from ${mark}`);
}

interface Edge {
  group_id: string;
  user_id: string;
}

/** The groups the refs name, aligned with them; null where none matches. */
async function resolveGroups(w: DirectoryWrite, refs: Ref[]): Promise<(GroupRow | null)[]> {
  const rows = await w.tx
    .select()
    .from(directoryGroups)
    .where(and(eq(directoryGroups.directoryId, w.scope.directoryId), refsIn(directoryGroups, refs)));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const byIdpId = new Map(rows.map((r) => [r.idpId, r]));
  return refs.map((ref) => ("id" in ref ? byId.get(ref.id) : byIdpId.get(ref.idp_id)) ?? null);
}

/**
 * Users the refs name, ids only: a snapshot that re-reads an unchanged directory names every edge
 * again, and only the edges that change need the whole user (userJsonRows).
 */
async function resolveUsers(w: DirectoryWrite, refs: Ref[]): Promise<{ byId: Map<string, UserKey>; byIdpId: Map<string, UserKey> }> {
  const rows: UserKey[] = refs.length
    ? await w.tx
        .select({ id: directoryUsers.id, idpId: directoryUsers.idpId })
        .from(directoryUsers)
        .where(and(eq(directoryUsers.directoryId, w.scope.directoryId), refsIn(directoryUsers, refs)))
    : [];
  return { byId: new Map(rows.map((r) => [r.id, r])), byIdpId: new Map(rows.map((r) => [r.idpId, r])) };
}

/** Rows named by any of the refs (ids or IdP ids), with one parameter per kind however many (inTexts). */
export function refsIn(table: typeof directoryUsers | typeof directoryGroups, refs: Ref[]): SQL {
  const ids = [...new Set(refs.flatMap((r) => ("id" in r ? [r.id] : [])))];
  const idpIds = [...new Set(refs.flatMap((r) => ("idp_id" in r ? [r.idp_id] : [])))];
  if (ids.length && idpIds.length) return sql`(${inTexts(table.id, ids)} or ${inTexts(table.idpId, idpIds)})`;
  return ids.length ? inTexts(table.id, ids) : idpIds.length ? inTexts(table.idpId, idpIds) : sql`false`;
}
