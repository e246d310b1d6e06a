// Read-only look at what a snapshot's sweep would delete: the deletion guard decides on it and the
// operator reads it before confirming. Same "unseen" rule as sweepUnseen in reconcile.ts.
import { and, count, eq, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { directoryGroups, directoryUsers, groupMemberships } from "../db/schema.js";
import type { DirectoryWrite } from "./directory-write.js";

/** What finish() would delete, with a few of the users named. */
export interface UnseenPreview {
  users: number;
  groups: number;
  memberships: number;
  /** Users stored now, the unseen ones included. */
  total_users: number;
  sample_users: { id: string; idp_id: string; email: string | null; name: string | null }[];
}

export async function countUnseen(w: DirectoryWrite, mark: string, sample: number): Promise<UnseenPreview> {
  const dir = w.scope.directoryId;
  const [users] = await w.tx.select({ n: count() }).from(directoryUsers).where(and(eq(directoryUsers.directoryId, dir), unseenBy(directoryUsers.syncMark, mark)));
  const [total] = await w.tx.select({ n: count() }).from(directoryUsers).where(eq(directoryUsers.directoryId, dir));
  const [groups] = await w.tx.select({ n: count() }).from(directoryGroups).where(and(eq(directoryGroups.directoryId, dir), unseenBy(directoryGroups.syncMark, mark)));
  const [edges] = await w.tx
    .select({ n: count() })
    .from(groupMemberships)
    .where(and(eq(groupMemberships.directoryId, dir), unseenBy(groupMemberships.syncMark, mark)));
  const sampleUsers = await w.tx
    .select({ id: directoryUsers.id, idp_id: directoryUsers.idpId, email: directoryUsers.email, name: directoryUsers.name })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.directoryId, dir), unseenBy(directoryUsers.syncMark, mark)))
    .orderBy(directoryUsers.id)
    .limit(sample);
  return { users: users!.n, groups: groups!.n, memberships: edges!.n, total_users: total!.n, sample_users: sampleUsers };
}

function unseenBy(column: AnyPgColumn, mark: string): SQL {
  return sql`${column} is distinct from ${mark}`;
}
