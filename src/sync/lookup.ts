// Reads the SCIM server needs, inside or outside a write (pass w.tx to read under the directory
// lock): users by userName or externalId, stored rows by id, group members and user groups.
// Every query is scoped by one directory, so another directory's ids read as "not found".
import { and, asc, eq, inArray, sql, type Placeholder, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { directoryGroups, directoryUsers, groupMemberships } from "../db/schema.js";
import { anyText, rowsOf } from "./bulk.js";
import type { GroupRow, UserRow } from "./render.js";
import type { DirectoryScope } from "./scope.js";

export type { GroupRow, UserRow } from "./render.js";

/** A member or group reference as SCIM lists them: the id and a display name. */
export interface MemberRef {
  id: string;
  display: string | null;
}

/** The id of the user whose userName equals `userName` ignoring case (RFC 7643 §4.1.1), if any. */
export async function findUserIdByUserName(db: Db, scope: DirectoryScope, userName: string): Promise<string | null> {
  const [row] = await db
    .select({ id: directoryUsers.id })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.directoryId, scope.directoryId), sql`lower(${directoryUsers.username}) = lower(${userName})`))
    .limit(1);
  return row?.id ?? null;
}

/** userNames (lower-cased) and idp_ids among the given ones that users of the directory already hold; one query. */
export async function findTakenUserKeys(db: Db, scope: DirectoryScope, userNames: string[], idpIds: string[]): Promise<{ userNames: Set<string>; idpIds: Set<string> }> {
  if (userNames.length === 0 && idpIds.length === 0) return { userNames: new Set(), idpIds: new Set() };
  // The same statement text whatever the batch size (the lists travel as JSON), so it is prepared once;
  // raw SQL, as drizzle's select builder costs more here than the two columns it would map.
  const rows = rowsOf<{ username: string | null; idp_id: string }>(
    await db.execute(sql`
      select taken.username, taken.idp_id from ${directoryUsers} as taken
      where taken.directory_id = ${scope.directoryId} and taken.id = any(array(
        ${idsByUserName(scope.directoryId, JSON.stringify(userNames))}
        union all
        select p.id from (select distinct i as idp from json_array_elements_text(${JSON.stringify(idpIds)}::json) as i) as i
        cross join lateral (select id from ${directoryUsers} as p where p.directory_id = ${scope.directoryId} and p.idp_id = i.idp offset 0) as p))`),
  );
  const wantedIdps = new Set(idpIds);
  return {
    userNames: new Set(rows.flatMap((r) => (r.username === null ? [] : [r.username.toLowerCase()]))),
    idpIds: new Set(rows.flatMap((r) => (wantedIdps.has(r.idp_id) ? [r.idp_id] : []))),
  };
}

/**
 * A subquery of the ids of the directory's users whose userName equals one of the names in
 * `userNamesJson` (a JSON array) ignoring case, lower-cased by Postgres as directory_users_username_idx
 * is built, for `id = any(array(...))`: one index probe per distinct name, one parameter however many.
 * Each probe is a lateral subquery behind OFFSET 0, which the planner cannot flatten into a join or
 * turn back into `lower(username) = any(...)`: while a directory fills up and the table has no
 * statistics yet (an IdP's first push, before autovacuum analyzes it), those were planned as a scan
 * of every user of the directory, 3-5 ms per batch at 5,000 users, run under the directory's lock.
 * findTakenUserKeys probes idp_ids the same way.
 */
export function idsByUserName(directoryId: string | Placeholder, userNamesJson: string | Placeholder): SQL {
  return sql`select u.id from (select distinct lower(n) as name from json_array_elements_text(${userNamesJson}::json) as n) as n
    cross join lateral (select id from ${directoryUsers} as u where u.directory_id = ${directoryId} and lower(u.username) = n.name offset 0) as u`;
}

export async function groupIdpIdExists(db: Db, scope: DirectoryScope, idpId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: directoryGroups.id })
    .from(directoryGroups)
    .where(and(eq(directoryGroups.directoryId, scope.directoryId), eq(directoryGroups.idpId, idpId)));
  return Boolean(row);
}

export async function getUserRow(db: Db, scope: DirectoryScope, id: string): Promise<UserRow | null> {
  const [row] = await db
    .select()
    .from(directoryUsers)
    .where(and(eq(directoryUsers.directoryId, scope.directoryId), eq(directoryUsers.id, id)));
  return row ?? null;
}

/** Stored users of the directory among `ids`, in one query (missing ids are simply absent). */
export async function getUserRows(db: Db, scope: DirectoryScope, ids: string[]): Promise<UserRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(directoryUsers)
    .where(and(eq(directoryUsers.directoryId, scope.directoryId), eq(directoryUsers.id, anyText(ids))));
}

/**
 * For each of `userNames` that a user of the directory holds ignoring case, that user's id (the
 * lowest when several do), keyed by the name lower-cased in JavaScript; one query, compared in Postgres.
 */
export async function findUserIdsByUserNames(db: Db, scope: DirectoryScope, userNames: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (userNames.length === 0) return out;
  // A subquery per name, not a join: the planner would hash-join the whole directory (it guesses 100
  // names); this way each name is one probe of directory_users_username_idx.
  const rows = rowsOf<{ name: string; id: string | null }>(
    await db.execute(sql`
      select n.name, (select min(u.id) from ${directoryUsers} u where u.directory_id = ${scope.directoryId} and lower(u.username) = lower(n.name)) as id
      from json_array_elements_text(${JSON.stringify(userNames)}::json) as n(name)`),
  );
  for (const row of rows) if (row.id !== null) out.set(row.name.toLowerCase(), row.id);
  return out;
}

export async function getGroupRow(db: Db, scope: DirectoryScope, id: string): Promise<GroupRow | null> {
  const [row] = await db
    .select()
    .from(directoryGroups)
    .where(and(eq(directoryGroups.directoryId, scope.directoryId), eq(directoryGroups.id, id)));
  return row ?? null;
}

/** Members of each group, ordered by user id; display is the user's name. */
export async function membersOfGroups(db: Db, scope: DirectoryScope, groupIds: string[]): Promise<Map<string, MemberRef[]>> {
  const out = new Map<string, MemberRef[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return out;
  const rows = await db
    .select({ groupId: groupMemberships.groupId, id: directoryUsers.id, name: directoryUsers.name })
    .from(groupMemberships)
    .innerJoin(directoryUsers, eq(directoryUsers.id, groupMemberships.userId))
    .where(and(eq(groupMemberships.directoryId, scope.directoryId), inArray(groupMemberships.groupId, groupIds)))
    .orderBy(asc(groupMemberships.groupId), asc(directoryUsers.id));
  for (const row of rows) out.get(row.groupId)!.push({ id: row.id, display: row.name });
  return out;
}

/** Groups of each user, ordered by group id; display is the group's name. */
export async function groupsOfUsers(db: Db, scope: DirectoryScope, userIds: string[]): Promise<Map<string, MemberRef[]>> {
  const out = new Map<string, MemberRef[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return out;
  const rows = await db
    .select({ userId: groupMemberships.userId, id: directoryGroups.id, name: directoryGroups.name })
    .from(groupMemberships)
    .innerJoin(directoryGroups, eq(directoryGroups.id, groupMemberships.groupId))
    .where(and(eq(groupMemberships.directoryId, scope.directoryId), inArray(groupMemberships.userId, userIds)))
    .orderBy(asc(groupMemberships.userId), asc(directoryGroups.id));
  for (const row of rows) out.get(row.userId)!.push({ id: row.id, display: row.name });
  return out;
}
