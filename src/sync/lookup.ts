// Reads the SCIM server needs, inside or outside a write (pass w.tx to read under the directory
// lock): users by userName or externalId, stored rows by id, group members and user groups.
// Every query is scoped by one directory, so another directory's ids read as "not found".
import { and, asc, eq, inArray, or, sql, type SQL } from "drizzle-orm";
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
  // The same statement text whatever the batch size (the lists travel as JSON), so it is prepared once.
  const rows = await db
    .select({ username: directoryUsers.username, idpId: directoryUsers.idpId })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.directoryId, scope.directoryId), or(userNameIn(userNames), eq(directoryUsers.idpId, anyText(idpIds)))));
  const wantedIdps = new Set(idpIds);
  return {
    userNames: new Set(rows.flatMap((r) => (r.username === null ? [] : [r.username.toLowerCase()]))),
    idpIds: new Set(rows.flatMap((r) => (wantedIdps.has(r.idpId) ? [r.idpId] : []))),
  };
}

/**
 * `lower(username) = any(...)` of the given names, lower-cased by Postgres: the comparison the
 * expression index directory_users_username_idx was built for, with one parameter however many.
 */
export function userNameIn(userNames: readonly string[]): SQL {
  return sql`lower(${directoryUsers.username}) = any(array(select lower(n) from json_array_elements_text(${JSON.stringify(userNames)}::json) as n))`;
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
