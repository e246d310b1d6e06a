// Manager references in one form whatever the IdP: custom_attributes.manager_id names the manager by
// the IdP's own id (idp_id), as Okta (managerId), Graph and Okta's SCIM push do. Entra's SCIM push
// sends a reference as the id the SCIM server gave the manager (our directory_user id), so such a
// value is turned into that user's idp_id here. raw_attributes keep what the IdP sent.
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { directoryUsers } from "../db/schema.js";
import { isId, type CanonicalUserInput } from "../model/index.js";
import type { DirectoryScope } from "./scope.js";

/**
 * Returns `users` with every manager_id that is the id of a user of this directory replaced by
 * that user's idp_id; one query, and none when no value looks like one of our ids. An id of ours
 * that names no user of the directory is left as sent.
 */
export async function resolveManagerRefs<T extends CanonicalUserInput>(db: Db, scope: DirectoryScope, users: T[]): Promise<T[]> {
  const refs = [...new Set(users.flatMap((u) => (isId("directory_user", String(u.custom_attributes?.manager_id ?? "")) ? [String(u.custom_attributes!.manager_id)] : [])))];
  if (refs.length === 0) return users;
  const rows = await db
    .select({ id: directoryUsers.id, idpId: directoryUsers.idpId })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.directoryId, scope.directoryId), inArray(directoryUsers.id, refs)));
  const idpOf = new Map(rows.map((r) => [r.id, r.idpId]));
  return users.map((u) => {
    const idp = idpOf.get(String(u.custom_attributes?.manager_id));
    return idp === undefined ? u : { ...u, custom_attributes: { ...u.custom_attributes, manager_id: idp } };
  });
}
