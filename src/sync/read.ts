// Reads of directory users and groups for the API. Every query is filtered by the caller's Access.
import { and, asc, desc, eq, gt, inArray, lt, type SQL } from "drizzle-orm";
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
}

export interface GroupFilter {
  directoryId?: string | undefined;
  userId?: string | undefined;
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
