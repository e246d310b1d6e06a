// Reads of directory users and groups for the API. Every query is filtered by the caller's Access.
import { and, asc, count, desc, eq, gt, ilike, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { fetchPage, type Keyset, type ListMetadata, type PageRequest } from "../db/paginate.js";
import { directoryGroups, directoryUsers, groupMemberships } from "../db/schema.js";
import type { DirectoryGroup, DirectoryUser } from "../model/index.js";
import { loadGroupsOf } from "./reconcile.js";
import { toDirectoryGroup, toDirectoryUser } from "./render.js";
import type { Access } from "./scope.js";

/** One page of a list, in the API's envelope order. */
export interface Page<T> {
  data: T[];
  list_metadata: ListMetadata;
}

export interface UserFilter {
  directoryId?: string | undefined;
  groupId?: string | undefined;
  /** Case-insensitive substring of the e-mail, name, username or IdP id. */
  search?: string | undefined;
}

export interface GroupFilter {
  directoryId?: string | undefined;
  userId?: string | undefined;
  /** Case-insensitive substring of the name. */
  search?: string | undefined;
}

/** Escapes LIKE wildcards so a search for "50%" finds "50%", not everything starting with 50. */
export function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

const idKeyset = (column: typeof directoryUsers.id | typeof directoryGroups.id): Keyset => ({
  greater: (c) => gt(column, c),
  less: (c) => lt(column, c),
  ascending: [asc(column)],
  descending: [desc(column)],
});

export async function listDirectoryUsers(db: Db, access: Access, filter: UserFilter, request: PageRequest): Promise<Page<DirectoryUser>> {
  const conditions: (SQL | undefined)[] = [
    access.kind === "organization" ? eq(directoryUsers.organizationId, access.organizationId) : undefined,
    filter.directoryId ? eq(directoryUsers.directoryId, filter.directoryId) : undefined,
    filter.groupId
      ? inArray(
          directoryUsers.id,
          db.select({ id: groupMemberships.userId }).from(groupMemberships).where(eq(groupMemberships.groupId, filter.groupId)),
        )
      : undefined,
    filter.search
      ? or(
          ilike(directoryUsers.email, containing(filter.search)),
          ilike(directoryUsers.name, containing(filter.search)),
          ilike(directoryUsers.username, containing(filter.search)),
          ilike(directoryUsers.idpId, containing(filter.search)),
        )
      : undefined,
  ];
  const { rows, list_metadata } = await fetchPage(request, idKeyset(directoryUsers.id), (cursor, orderBy, limit) =>
    db
      .select()
      .from(directoryUsers)
      .where(and(...conditions, cursor))
      .orderBy(...orderBy)
      .limit(limit),
  );
  const groupsOf = await loadGroupsOf(db, rows.map((r) => r.id));
  return { data: rows.map((row) => toDirectoryUser(row, groupsOf.get(row.id) ?? [])), list_metadata };
}

export async function getDirectoryUser(db: Db, access: Access, id: string): Promise<DirectoryUser | null> {
  const [row] = await db
    .select()
    .from(directoryUsers)
    .where(and(eq(directoryUsers.id, id), access.kind === "organization" ? eq(directoryUsers.organizationId, access.organizationId) : undefined));
  if (!row) return null;
  const groupsOf = await loadGroupsOf(db, [row.id]);
  return toDirectoryUser(row, groupsOf.get(row.id) ?? []);
}

export async function listDirectoryGroups(db: Db, access: Access, filter: GroupFilter, request: PageRequest): Promise<Page<DirectoryGroup>> {
  const conditions: (SQL | undefined)[] = [
    access.kind === "organization" ? eq(directoryGroups.organizationId, access.organizationId) : undefined,
    filter.directoryId ? eq(directoryGroups.directoryId, filter.directoryId) : undefined,
    filter.userId
      ? inArray(
          directoryGroups.id,
          db.select({ id: groupMemberships.groupId }).from(groupMemberships).where(eq(groupMemberships.userId, filter.userId)),
        )
      : undefined,
    filter.search ? ilike(directoryGroups.name, containing(filter.search)) : undefined,
  ];
  const { rows, list_metadata } = await fetchPage(request, idKeyset(directoryGroups.id), (cursor, orderBy, limit) =>
    db
      .select()
      .from(directoryGroups)
      .where(and(...conditions, cursor))
      .orderBy(...orderBy)
      .limit(limit),
  );
  return { data: rows.map(toDirectoryGroup), list_metadata };
}

export async function getDirectoryGroup(db: Db, access: Access, id: string): Promise<DirectoryGroup | null> {
  const [row] = await db
    .select()
    .from(directoryGroups)
    .where(and(eq(directoryGroups.id, id), access.kind === "organization" ? eq(directoryGroups.organizationId, access.organizationId) : undefined));
  return row ? toDirectoryGroup(row) : null;
}

/** How many users (and of them active) and groups a directory holds. */
export async function countDirectoryMembers(db: Db, access: Access, directoryId: string): Promise<{ users: number; active_users: number; groups: number }> {
  const scoped = (column: typeof directoryUsers.organizationId | typeof directoryGroups.organizationId) =>
    access.kind === "organization" ? eq(column, access.organizationId) : undefined;
  const [users] = await db
    .select({ all: count(), active: count(sql`case when ${directoryUsers.state} = 'active' then 1 end`) })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.directoryId, directoryId), scoped(directoryUsers.organizationId)));
  const [groups] = await db
    .select({ all: count() })
    .from(directoryGroups)
    .where(and(eq(directoryGroups.directoryId, directoryId), scoped(directoryGroups.organizationId)));
  return { users: users?.all ?? 0, active_users: users?.active ?? 0, groups: groups?.all ?? 0 };
}
