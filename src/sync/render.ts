// Turns stored rows into the API's objects (WorkOS shapes). Pure; shared by reads and events. The
// database has the same renderings as SQL functions (migration 0006), for the events stored by
// reference (see events in db/schema.ts); test/render-sql.test.ts holds the two equal.
import type { InferSelectModel } from "drizzle-orm";
import type { directories, directoryGroups, directoryUsers } from "../db/schema.js";
import type { CanonicalGroup, CanonicalUser, Directory, DirectoryGroup, DirectoryState, DirectoryType, DirectoryUser } from "../model/index.js";

export type UserRow = InferSelectModel<typeof directoryUsers>;
export type GroupRow = InferSelectModel<typeof directoryGroups>;
export type DirectoryRow = InferSelectModel<typeof directories>;

/** The canonical part of a stored user: what reconcile compares. */
export function toCanonicalUser(row: UserRow): CanonicalUser {
  return {
    idp_id: row.idpId,
    first_name: row.firstName,
    last_name: row.lastName,
    name: row.name,
    email: row.email,
    emails: row.emails,
    username: row.username,
    job_title: row.jobTitle,
    state: row.state,
    custom_attributes: row.customAttributes,
    raw_attributes: row.rawAttributes,
    role: row.role,
  };
}

export function toCanonicalGroup(row: GroupRow): CanonicalGroup {
  return { idp_id: row.idpId, name: row.name, raw_attributes: row.rawAttributes };
}

export function toDirectoryGroup(row: GroupRow): DirectoryGroup {
  return {
    object: "directory_group",
    id: row.id,
    ...toCanonicalGroup(row),
    directory_id: row.directoryId,
    organization_id: row.organizationId,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function toDirectoryUser(row: UserRow, groups: GroupRow[]): DirectoryUser {
  return {
    object: "directory_user",
    id: row.id,
    ...toCanonicalUser(row),
    directory_id: row.directoryId,
    organization_id: row.organizationId,
    groups: groups.map(toDirectoryGroup),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function toDirectory(row: DirectoryRow): Directory {
  return {
    object: "directory",
    id: row.id,
    organization_id: row.organizationId,
    // WorkOS exposes an external key per directory; ours is the directory id itself.
    external_key: row.id,
    type: row.type as DirectoryType,
    state: row.state as DirectoryState,
    name: row.name,
    domain: row.domain,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
