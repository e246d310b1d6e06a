// Turns stored rows into the API's objects (WorkOS shapes). Pure; shared by reads and events.
import type { InferSelectModel } from "drizzle-orm";
import type { directories, directoryGroups, directoryUsers } from "../db/schema.js";
import type { Directory, DirectoryGroup, DirectoryType, DirectoryUser, DirectoryState } from "../model/index.js";

export type UserRow = InferSelectModel<typeof directoryUsers>;
export type GroupRow = InferSelectModel<typeof directoryGroups>;
export type DirectoryRow = InferSelectModel<typeof directories>;

export function toDirectoryGroup(row: GroupRow): DirectoryGroup {
  return {
    object: "directory_group",
    id: row.id,
    idp_id: row.idpId,
    directory_id: row.directoryId,
    organization_id: row.organizationId,
    name: row.name,
    raw_attributes: row.rawAttributes,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function toDirectoryUser(row: UserRow, groups: GroupRow[]): DirectoryUser {
  return {
    object: "directory_user",
    id: row.id,
    idp_id: row.idpId,
    directory_id: row.directoryId,
    organization_id: row.organizationId,
    first_name: row.firstName,
    last_name: row.lastName,
    name: row.name,
    email: row.email,
    emails: row.emails,
    username: row.username,
    job_title: row.jobTitle,
    state: row.state,
    groups: groups.map(toDirectoryGroup),
    custom_attributes: row.customAttributes,
    raw_attributes: row.rawAttributes,
    role: row.role,
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
