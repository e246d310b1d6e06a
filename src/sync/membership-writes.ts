// Membership changes in bulk, for reconcile (the one writer; nothing else calls this): the member
// changes of many groups in a handful of set-based statements, and their
// dsync.group.user_added / user_removed events assembled from parts rendered once per batch
// (each user once, each group once per transaction) instead of rendering every event from scratch.
import { and, eq, or, sql, type SQL } from "drizzle-orm";
import { directoryGroups, directoryUsers, groupMemberships } from "../db/schema.js";
import { rowsOf, anyText } from "./bulk.js";
import type { DirectoryWrite } from "./directory-write.js";
import type { MemberChange, MembershipResult, Ref } from "./reconcile.js";
import { directoryUserJsonHead, toDirectoryGroup, type GroupRow, type UserJsonRow } from "./render.js";

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

  const json = JSON.stringify(pairs.map((p) => ({ g: p.group.id, u: p.user.id })));
  const changed = kind === "add" ? await insertEdges(w, json, pairs.length, mark) : await deleteEdges(w, json);
  const applied = pairs.filter((p) => changed.has(`${p.group.id} ${p.user.id}`));
  for (const p of applied) {
    const result = results[p.change]!;
    (kind === "add" ? result.added : result.removed).push(p.user.id);
  }
  await emitMembershipEvents(w, kind, applied);
  return results;
}

/** Inserts the edges that do not exist yet; returns those it inserted ("group user" keys). */
async function insertEdges(w: DirectoryWrite, json: string, pairs: number, mark: string | null): Promise<Set<string>> {
  const inserted = rowsOf<{ group_id: string; user_id: string }>(
    await w.tx.execute(sql`
      insert into ${groupMemberships} (directory_id, group_id, user_id, sync_mark, created_at)
      select ${w.scope.directoryId}, x.g, x.u, ${mark}, ${w.now.toISOString()}::timestamptz
      from json_to_recordset(${json}::json) as x(g text, u text)
      on conflict do nothing
      returning group_id, user_id`),
  );
  if (mark && inserted.length < pairs) {
    // Edges that were there already: this run saw them too.
    await w.tx.execute(sql`
      update ${groupMemberships} m set sync_mark = ${mark}
      from json_to_recordset(${json}::json) as x(g text, u text)
      where m.directory_id = ${w.scope.directoryId} and m.group_id = x.g and m.user_id = x.u and m.sync_mark is distinct from ${mark}`);
  }
  return new Set(inserted.map((r) => `${r.group_id} ${r.user_id}`));
}

/** Deletes the edges that exist; returns those it deleted. */
async function deleteEdges(w: DirectoryWrite, json: string): Promise<Set<string>> {
  const deleted = rowsOf<{ group_id: string; user_id: string }>(
    await w.tx.execute(sql`
      delete from ${groupMemberships} m
      using json_to_recordset(${json}::json) as x(g text, u text)
      where m.directory_id = ${w.scope.directoryId} and m.group_id = x.g and m.user_id = x.u
      returning m.group_id, m.user_id`),
  );
  return new Set(deleted.map((r) => `${r.group_id} ${r.user_id}`));
}

/**
 * One event per applied edge, in order. Each carries the user with its groups as they stood right
 * after that edge's change (the same as applying the edges one by one): the user's groups are read
 * once after the whole batch, and the batch's later edges are undone in memory.
 */
async function emitMembershipEvents(w: DirectoryWrite, kind: "add" | "remove", applied: Pair[]): Promise<void> {
  if (applied.length === 0) return;
  const userIds = [...new Set(applied.map((p) => p.user.id))];
  const groupsOf = new Map<string, Set<string>>(userIds.map((id) => [id, new Set()]));
  // Both reads sent at once (one round trip on postgres.js).
  const [edgeRows, userRows] = await Promise.all([
    w.tx.execute(sql`
      select user_id, group_id from ${groupMemberships}
      where directory_id = ${w.scope.directoryId} and user_id = ${anyText(userIds)}`),
    userJsonRows(w, userIds),
  ]);
  const edges = rowsOf<{ user_id: string; group_id: string }>(edgeRows);
  const users = new Map(userRows.map((u) => [u.id, u]));
  for (const e of edges) groupsOf.get(e.user_id)!.add(e.group_id);
  // Back to the state before the batch: undo every edge it changed.
  for (const p of applied) {
    if (kind === "add") groupsOf.get(p.user.id)!.delete(p.group.id);
    else groupsOf.get(p.user.id)!.add(p.group.id);
  }
  const groupIds = new Set(applied.map((p) => p.group.id));
  for (const set of groupsOf.values()) for (const id of set) groupIds.add(id);
  const groupJson = await renderedGroups(w, [...groupIds]);

  const type = kind === "add" ? "dsync.group.user_added" : "dsync.group.user_removed";
  const directoryId = JSON.stringify(w.scope.directoryId);
  const heads = new Map<string, string>();
  for (const p of applied) {
    const groups = groupsOf.get(p.user.id)!;
    if (kind === "add") groups.add(p.group.id);
    else groups.delete(p.group.id);
    let head = heads.get(p.user.id);
    if (head === undefined) heads.set(p.user.id, (head = directoryUserJsonHead(users.get(p.user.id)!)));
    // Ordered by group id, as reads list a user's groups.
    const list = [...groups].sort().map((id) => groupJson.get(id)!);
    w.emitJson(type, `{"directory_id":${directoryId},"user":${head}[${list.join(",")}]},"group":${groupJson.get(p.group.id)!}}`);
  }
}

/** Group objects as JSON text, from the transaction's cache or read and rendered once. */
async function renderedGroups(w: DirectoryWrite, ids: string[]): Promise<Map<string, string>> {
  const wanted = ids.filter((id) => !w.groupJson.has(id));
  if (wanted.length > 0) {
    const rows = await w.tx
      .select()
      .from(directoryGroups)
      .where(and(eq(directoryGroups.directoryId, w.scope.directoryId), sql`${directoryGroups.id} = ${anyText(wanted)}`));
    for (const row of rows) w.groupJson.set(row.id, JSON.stringify(toDirectoryGroup(row)));
  }
  return w.groupJson;
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

/** Users by id with their jsonb columns as JSON text, for directoryUserJsonHead (never parsed here). */
function userJsonRows(w: DirectoryWrite, ids: string[]): Promise<UserJsonRow[]> {
  return w.tx
    .select({
      id: directoryUsers.id,
      directoryId: directoryUsers.directoryId,
      organizationId: directoryUsers.organizationId,
      idpId: directoryUsers.idpId,
      firstName: directoryUsers.firstName,
      lastName: directoryUsers.lastName,
      name: directoryUsers.name,
      email: directoryUsers.email,
      emails: sql<string>`${directoryUsers.emails}::text`,
      username: directoryUsers.username,
      jobTitle: directoryUsers.jobTitle,
      state: directoryUsers.state,
      customAttributes: sql<string>`${directoryUsers.customAttributes}::text`,
      rawAttributes: sql<string>`${directoryUsers.rawAttributes}::text`,
      role: sql<string | null>`${directoryUsers.role}::text`,
      createdAt: directoryUsers.createdAt,
      updatedAt: directoryUsers.updatedAt,
    })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.directoryId, w.scope.directoryId), refsIn(directoryUsers, ids.map((id) => ({ id })))));
}

/** Rows named by any of the refs (ids or IdP ids), with one parameter per kind however many. */
function refsIn(table: typeof directoryUsers | typeof directoryGroups, refs: Ref[]): SQL {
  const ids = [...new Set(refs.flatMap((r) => ("id" in r ? [r.id] : [])))];
  const idpIds = [...new Set(refs.flatMap((r) => ("idp_id" in r ? [r.idp_id] : [])))];
  const byId = ids.length ? (ids.length === 1 ? eq(table.id, ids[0]!) : sql`${table.id} = ${anyText(ids)}`) : undefined;
  const byIdp = idpIds.length ? (idpIds.length === 1 ? eq(table.idpId, idpIds[0]!) : sql`${table.idpId} = ${anyText(idpIds)}`) : undefined;
  return (byId && byIdp ? or(byId, byIdp) : (byId ?? byIdp)) ?? sql`false`;
}
