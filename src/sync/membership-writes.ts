// Membership changes in bulk, for reconcile (the one writer; nothing else calls this): the member
// changes of many groups in one set-based statement that resolves the users, writes the edges and
// their dsync.group.user_added / user_removed events, which show the stored rows by version.
import { and, eq, sql, type SQL } from "drizzle-orm";
import { directoryGroups, directoryUsers, events, groupMemberships } from "../db/schema.js";
import { newId } from "../model/index.js";
import { inTexts, rowsOf } from "./bulk.js";
import type { DirectoryWrite } from "./directory-write.js";
import type { MemberChange, MembershipResult, Ref } from "./reconcile.js";
import { toDirectoryGroup, type GroupRow } from "./render.js";

/**
 * Adds (or removes) members for each change, in order. Returns one result per change; null when
 * the change's group does not exist in this directory (nothing is thrown, so a shared transaction
 * stays usable). A pair named twice is applied once, for the first change naming it. With `mark`
 * (a snapshot run), edges that already existed get the mark too.
 *
 * The users are resolved by the statement that writes the edges (by id or IdP id, one index probe
 * each), so a batch is one round trip: the groups' rows, which the results carry, go with it.
 */
export async function writeMemberships(
  w: DirectoryWrite,
  kind: "add" | "remove",
  changes: MemberChange[],
  mark: string | null,
): Promise<(MembershipResult | null)[]> {
  // One row per (change, user ref), numbered in order; `e` is the id its event gets if it changes anything.
  const rows: { o: number; g: string; u: string; e: string }[] = [];
  const changeOf: number[] = [];
  const refOf: Ref[] = [];
  changes.forEach((change, index) => {
    for (const ref of change.users) {
      rows.push({ o: rows.length, g: refKey(change.group), u: refKey(ref), e: newId("event") });
      changeOf.push(index);
      refOf.push(ref);
    }
  });
  const json = JSON.stringify(rows);
  const [groups, outcome] = await Promise.all([
    resolveGroups(w, changes.map((c) => c.group)),
    rows.length === 0 ? [] : w.emitInDatabase(async (firstSeq) => {
      const statement = kind === "add" ? insertEdges(w, json, firstSeq, mark) : deleteEdges(w, json, firstSeq);
      const outcome = rowsOf<{ o: number; u: string | null; changed: boolean }>(await w.tx.execute(statement));
      return { count: outcome.filter((r) => r.changed).length, value: outcome };
    }),
  ]);
  const results = changes.map((_, index): MembershipResult | null => {
    const group = groups[index];
    return group ? { group: toDirectoryGroup(group), added: [], removed: [], missing: [] } : null;
  });
  // Rows come back in input order: missing users, changed edges and unchanged ones (repeats left out).
  const unchanged: { g: string; u: string }[] = [];
  for (const row of outcome) {
    const index = changeOf[row.o]!;
    const result = results[index];
    if (!result) continue;
    if (row.u === null) result.missing.push(refOf[row.o]!);
    else if (row.changed) (kind === "add" ? result.added : result.removed).push(row.u);
    else unchanged.push({ g: groups[index]!.id, u: row.u });
  }
  if (kind === "add" && mark && unchanged.length > 0) await markExistingEdges(w, JSON.stringify(unchanged), mark);
  return results;
}

/** A snapshot run saw these edges too, where they existed already: they get its mark. */
async function markExistingEdges(w: DirectoryWrite, json: string, mark: string): Promise<void> {
  await w.tx.execute(sql`
    update ${groupMemberships} m set sync_mark = ${mark}
    from json_to_recordset(${json}::json) as x(g text, u text)
    where m.directory_id = ${w.scope.directoryId} and m.group_id = x.g and m.user_id = x.u and m.sync_mark is distinct from ${mark}`);
}

/** A ref as one text: `i:<id>` or `p:<IdP id>`, which the statements resolve (resolvedRef). */
function refKey(ref: Ref): string {
  return "id" in ref ? `i:${ref.id}` : `p:${ref.idp_id}`;
}

/** Our id for a refKey in `table` of this directory, or null: one index probe. */
function resolvedRef(w: DirectoryWrite, table: typeof directoryUsers | typeof directoryGroups, key: SQL): SQL {
  return sql`case when left(${key}, 2) = 'i:'
    then (select t.id from ${table} t where t.directory_id = ${w.scope.directoryId} and t.id = substr(${key}, 3))
    else (select t.id from ${table} t where t.directory_id = ${w.scope.directoryId} and t.idp_id = substr(${key}, 3)) end`;
}

/**
 * The statement for a batch: `x` the rows, `r` each row resolved to our ids (groups once each:
 * `gs` is materialized, or the planner inlines it and looks a group up again for every row),
 * `pairs` the first row naming each existing (group, user), then `changed` (the caller's
 * data-modifying CTE over `pairs`) and one event per changed edge, `{ directory_id, user, group }`
 * stored as references: the ids and a point in the renderings' sequence taken now (one per statement),
 * so the event shows the user's and the group's renderings as they stand at this point (kept by
 * triggers; readers render it, see sync/events.ts) and nothing is rendered, sent or stored per event.
 * Returns, in row order, the rows whose user is missing (u null) and each pair's first row, with
 * whether it changed the edge.
 */
function membershipStatement(w: DirectoryWrite, event: "dsync.group.user_added" | "dsync.group.user_removed", json: string, changed: SQL, firstSeq: number): SQL {
  return sql`
    with x as (select * from json_to_recordset(${json}::json) as x(o int, g text, u text, e text)),
    gs as materialized (select k.g, ${resolvedRef(w, directoryGroups, sql`k.g`)} as id from (select distinct g from x) k),
    r as (select x.o, x.e, gs.id as g, ${resolvedRef(w, directoryUsers, sql`x.u`)} as u from x join gs on gs.g = x.g),
    pairs as (select distinct on (g, u) o, e, g, u from r where g is not null and u is not null order by g, u, o),
    changed as (${changed}),
    applied as (
      select p.o, p.e, p.g, p.u, row_number() over (order by p.o) as n
      from changed c join pairs p on p.g = c.group_id and p.u = c.user_id
    ),
    emitted as (
      insert into ${events} (id, organization_id, directory_id, directory_seq, event, user_id, group_id, rendered_as_of, created_at)
      select a.e, ${w.scope.organizationId}, ${w.scope.directoryId}, ${firstSeq - 1}::bigint + a.n, ${event},
        a.u, a.g, (select nextval('rendering_version_seq')), ${w.now.toISOString()}::timestamptz
      from applied a
      order by a.n
    )
    select o, u, true as changed from applied
    union all
    select p.o, p.u, false from pairs p where not exists (select from applied a where a.o = p.o)
    union all
    select o, null, false from r where g is not null and u is null
    order by o`;
}

/** Inserts the edges that do not exist yet, with their dsync.group.user_added events. */
function insertEdges(w: DirectoryWrite, json: string, firstSeq: number, mark: string | null): SQL {
  const changed = sql`
    insert into ${groupMemberships} (directory_id, group_id, user_id, sync_mark, created_at)
    select ${w.scope.directoryId}, p.g, p.u, ${mark}, ${w.now.toISOString()}::timestamptz from pairs p
    on conflict do nothing
    returning group_id, user_id`;
  return membershipStatement(w, "dsync.group.user_added", json, changed, firstSeq);
}

/** Deletes the edges that exist, with their dsync.group.user_removed events. */
function deleteEdges(w: DirectoryWrite, json: string, firstSeq: number): SQL {
  const changed = sql`
    delete from ${groupMemberships} m using pairs p
    where m.group_id = p.g and m.user_id = p.u
    returning m.group_id, m.user_id`;
  return membershipStatement(w, "dsync.group.user_removed", json, changed, firstSeq);
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

/** Rows named by any of the refs (ids or IdP ids), with one parameter per kind however many (inTexts). */
export function refsIn(table: typeof directoryUsers | typeof directoryGroups, refs: Ref[]): SQL {
  const ids = [...new Set(refs.flatMap((r) => ("id" in r ? [r.id] : [])))];
  const idpIds = [...new Set(refs.flatMap((r) => ("idp_id" in r ? [r.idp_id] : [])))];
  if (ids.length && idpIds.length) return sql`(${inTexts(table.id, ids)} or ${inTexts(table.idpId, idpIds)})`;
  return ids.length ? inTexts(table.id, ids) : idpIds.length ? inTexts(table.idpId, idpIds) : sql`false`;
}
