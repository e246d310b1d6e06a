// A directory's attribute mapping and role mapping: stored on the directory row under its lock, then
// applied to every stored user through reconcile, page by page (bounded memory, short transactions).
// Re-normalization reads raw_attributes, so a mapping change needs no resync; reconcile's diff emits
// dsync.user.updated only for users whose canonical values changed.
import { isDeepStrictEqual } from "node:util";
import { and, asc, eq, gt, inArray } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { directories, directoryGroups, directoryUsers } from "../db/schema.js";
import { GatewayError } from "../errors.js";
import { CanonicalUser } from "../model/index.js";
import { normalizeUserRecord, userMappingFor, type MappingOverride, type RoleMapping } from "../normalize/index.js";
import type { DirectoryWrite } from "./directory-write.js";
import { resolveManagerRefs } from "./manager-refs.js";
import { writeUsers } from "./reconcile.js";
import { toCanonicalUser } from "./render.js";
import { recomputeRolesPage } from "./roles.js";
import type { DirectoryScope } from "./scope.js";
import type { WriteRunner } from "./snapshot.js";

/** Users re-normalized per transaction. */
const PAGE = 500;

/** What applying a mapping did to the stored users. */
export interface MappingOutcome {
  users: number;
  updated: number;
}

/**
 * Stores `override` as the directory's attribute mapping, then re-normalizes its users with the
 * merged mapping. Writes that arrive meanwhile already use the new mapping (they read it under the
 * same lock), so no user keeps the old one.
 */
export async function setAttributeMapping(writer: WriteRunner, scope: DirectoryScope, override: MappingOverride): Promise<MappingOutcome> {
  await writer.run(scope, (w) => updateDirectory(w, { attributeMapping: override }));
  return renormalizeUsers(writer, scope);
}

/** Re-derives every stored user from its raw_attributes with the directory's current mapping. */
export async function renormalizeUsers(writer: WriteRunner, scope: DirectoryScope, pageSize = PAGE): Promise<MappingOutcome> {
  const outcome: MappingOutcome = { users: 0, updated: 0 };
  let after: string | null = null;
  for (;;) {
    const page: { last: string | null; users: number; updated: number } = await writer.run(scope, (w) => renormalizePage(w, after, pageSize));
    if (page.last === null) return outcome;
    outcome.users += page.users;
    outcome.updated += page.updated;
    after = page.last;
  }
}

async function renormalizePage(w: DirectoryWrite, after: string | null, limit: number): Promise<{ last: string | null; users: number; updated: number }> {
  const rows = await w.tx
    .select()
    .from(directoryUsers)
    .where(and(eq(directoryUsers.directoryId, w.scope.directoryId), after ? gt(directoryUsers.id, after) : undefined))
    .orderBy(asc(directoryUsers.id))
    .limit(limit);
  if (rows.length === 0) return { last: null, users: 0, updated: 0 };
  const mapping = userMappingFor(w.directory);
  // As on every write: an Entra SCIM manager reference names our id, stored as the manager's idp_id.
  const users = await resolveManagerRefs(w.tx, w.scope, rows.map((r) => normalizeUserRecord(mapping, r.rawAttributes, r.idpId)));
  // The rows were read under this transaction's lock: writeUsers need not read them again.
  const changes = await writeUsers(w, users, { existing: rows });
  return { last: rows.at(-1)!.id, users: rows.length, updated: changes.filter((change) => change === "updated").length };
}

/**
 * Stores the directory's role mapping (null removes it) and recomputes every user's role; each
 * user whose role changes emits dsync.user.updated. Rules must name groups of this directory.
 */
export async function setRoleMapping(writer: WriteRunner, scope: DirectoryScope, mapping: RoleMapping | null): Promise<MappingOutcome> {
  await writer.run(scope, async (w) => {
    const ids = mapping?.rules.map((r) => r.group_id) ?? [];
    if (ids.length > 0) {
      const found = new Set(
        (await w.tx.select({ id: directoryGroups.id }).from(directoryGroups).where(and(eq(directoryGroups.directoryId, scope.directoryId), inArray(directoryGroups.id, ids)))).map((g) => g.id),
      );
      const unknown = mapping!.rules.flatMap((rule, i) => (found.has(rule.group_id) ? [] : [{ field: `rules.${i}.group_id`, code: "not_found", message: `no group ${rule.group_id} in this directory` }]));
      if (unknown.length > 0) throw new GatewayError("invalid_input", `invalid request: ${unknown.map((u) => `${u.field}: ${u.message}`).join("; ")}`, { fields: unknown });
    }
    await updateDirectory(w, { roleMapping: mapping });
  });
  const outcome: MappingOutcome = { users: 0, updated: 0 };
  let after: string | null = null;
  for (;;) {
    const page: { last: string | null; examined: number; changed: number } = await writer.run(scope, (w) => recomputeRolesPage(w, after));
    if (page.last === null) return outcome;
    outcome.users += page.examined;
    outcome.updated += page.changed;
    after = page.last;
  }
}

/** Group names of a directory by id, for showing role rules. */
export async function groupNames(db: Db, scope: DirectoryScope, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: directoryGroups.id, name: directoryGroups.name })
    .from(directoryGroups)
    .where(and(eq(directoryGroups.directoryId, scope.directoryId), inArray(directoryGroups.id, ids)));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * Updates the directory row and the transaction's copy of it: other writes batched into the same
 * transaction (group commit) read their mapping from w.directory and must see the new one.
 */
async function updateDirectory(w: DirectoryWrite, set: { attributeMapping?: MappingOverride; roleMapping?: RoleMapping | null }): Promise<void> {
  const [row] = await w.tx
    .update(directories)
    .set({ ...set, updatedAt: w.now })
    .where(and(eq(directories.id, w.scope.directoryId), eq(directories.organizationId, w.scope.organizationId)))
    .returning();
  Object.assign(w.directory, row);
}

/** A directory's stored mappings, as the API shows them. */
export interface DirectoryMappings {
  type: string;
  attributeMapping: MappingOverride;
  roleMapping: RoleMapping | null;
  updatedAt: Date;
}

export async function readDirectoryMappings(db: Db, scope: DirectoryScope): Promise<DirectoryMappings | null> {
  const [row] = await db
    .select({ type: directories.type, attributeMapping: directories.attributeMapping, roleMapping: directories.roleMapping, updatedAt: directories.updatedAt })
    .from(directories)
    .where(and(eq(directories.id, scope.directoryId), eq(directories.organizationId, scope.organizationId)));
  return row ? { ...row, attributeMapping: row.attributeMapping as MappingOverride } : null;
}

/** What a proposed mapping would change on a sample of stored users. */
export interface MappingPreview {
  object: "attribute_mapping_preview";
  directory_id: string;
  examined: number;
  would_change: number;
  data: { user_id: string; idp_id: string; changes: Record<string, { from: unknown; to: unknown }> }[];
}

const PREVIEWED_FIELDS = ["first_name", "last_name", "name", "email", "emails", "username", "job_title", "state", "custom_attributes"] as const;

/**
 * Normalizes the first `limit` stored users (by id) with the type's preset and `override` merged,
 * and compares with what is stored. Reads only: nothing is written or emitted.
 */
export async function previewAttributeMapping(db: Db, scope: DirectoryScope, type: string, override: MappingOverride, limit: number): Promise<MappingPreview> {
  const mapping = userMappingFor({ type, attributeMapping: override });
  const rows = await db
    .select()
    .from(directoryUsers)
    .where(and(eq(directoryUsers.directoryId, scope.directoryId), eq(directoryUsers.organizationId, scope.organizationId)))
    .orderBy(asc(directoryUsers.id))
    .limit(limit);
  const data = rows.map((row) => {
    const stored = toCanonicalUser(row);
    const next = CanonicalUser.parse(normalizeUserRecord(mapping, row.rawAttributes, row.idpId));
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const field of PREVIEWED_FIELDS) {
      // A missing display name is derived from first and last name when written (reconcile).
      const to = field === "name" ? (next.name ?? ([next.first_name, next.last_name].filter(Boolean).join(" ") || null)) : next[field];
      if (!isDeepStrictEqual(to, stored[field])) changes[field] = { from: stored[field], to };
    }
    return { user_id: row.id, idp_id: row.idpId, changes };
  });
  return {
    object: "attribute_mapping_preview",
    directory_id: scope.directoryId,
    examined: data.length,
    would_change: data.filter((d) => Object.keys(d.changes).length > 0).length,
    data,
  };
}
