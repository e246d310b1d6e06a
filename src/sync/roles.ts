// Role recomputation: a user's role follows from its groups and the directory's role mapping
// (normalize/role-mapping.ts). Set-based and called once per membership batch by reconcile; with no
// role rules it returns at once without a query, so bulk membership writes pay nothing for it.
// Runs inside the caller's DirectoryWrite: only reconcile's functions and the role-mapping update call it.
import { and, asc, eq, gt, inArray, sql, type SQL } from "drizzle-orm";
import { directoryUsers } from "../db/schema.js";
import { orderedRules, type RoleMapping } from "../normalize/role-mapping.js";
import { anyText, rowsOf } from "./bulk.js";
import type { DirectoryWrite } from "./directory-write.js";
import { loadGroupsOf } from "./reconcile.js";
import { toDirectoryUser } from "./render.js";

/** Users examined per statement. */
const ROLE_CHUNK = 1000;

/** The directory's role mapping as this transaction read it (under the directory's lock). */
export function roleMappingOf(w: DirectoryWrite): RoleMapping | null {
  return (w.directory.roleMapping as RoleMapping | null) ?? null;
}

/** True when group memberships decide roles here, so membership changes need a recompute. */
export function hasRoleRules(w: DirectoryWrite): boolean {
  return (roleMappingOf(w)?.rules.length ?? 0) > 0;
}

/** The role a new user gets before it joins any group. */
export function defaultRoleOf(w: DirectoryWrite): { slug: string } | null {
  const slug = roleMappingOf(w)?.default_role ?? null;
  return slug ? { slug } : null;
}

/**
 * Recomputes the roles of `userIds` after their memberships changed; each user whose role changes
 * is updated and emits dsync.user.updated with previous_attributes.role. Returns how many changed.
 */
export async function recomputeRoles(w: DirectoryWrite, userIds: Iterable<string>): Promise<number> {
  const mapping = roleMappingOf(w);
  if (!mapping || mapping.rules.length === 0) return 0;
  const ids = [...new Set(userIds)];
  let changed = 0;
  for (let i = 0; i < ids.length; i += ROLE_CHUNK) {
    changed += await applyRoles(w, mapping, sql`u.id = ${anyText(ids.slice(i, i + ROLE_CHUNK))}`);
  }
  return changed;
}

/**
 * One page of a whole-directory recompute (after the role mapping itself changed), in id order:
 * returns the last user id examined (null when the page was empty) and how many roles changed.
 */
export async function recomputeRolesPage(w: DirectoryWrite, after: string | null, limit = ROLE_CHUNK): Promise<{ last: string | null; examined: number; changed: number }> {
  const page = await w.tx
    .select({ id: directoryUsers.id })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.directoryId, w.scope.directoryId), after ? gt(directoryUsers.id, after) : undefined))
    .orderBy(asc(directoryUsers.id))
    .limit(limit);
  if (page.length === 0) return { last: null, examined: 0, changed: 0 };
  const mapping = roleMappingOf(w) ?? { default_role: null, rules: [] };
  const changed = await applyRoles(w, mapping, sql`u.id = ${anyText(page.map((r) => r.id))}`);
  return { last: page.at(-1)!.id, examined: page.length, changed };
}

interface RoleRow {
  id: string;
  current: string | null;
  wanted: string | null;
}

async function applyRoles(w: DirectoryWrite, mapping: RoleMapping, users: SQL): Promise<number> {
  const rules = orderedRules(mapping);
  // The best-ranked rule among the user's groups, else the default: one statement for the whole set.
  const ranked =
    rules.length === 0
      ? sql`null::text`
      : sql`(select r.slug from group_memberships m
               join (values ${sql.join(rules.map((r, i) => sql`(${r.group_id}::text, ${i}::int, ${r.role_slug}::text)`), sql`, `)}) as r(group_id, ord, slug)
                 on r.group_id = m.group_id
             where m.user_id = u.id order by r.ord limit 1)`;
  const rows = rowsOf<RoleRow>(
    await w.tx.execute(sql`
      select u.id, u.role ->> 'slug' as current, coalesce(${ranked}, ${mapping.default_role}::text) as wanted
      from directory_users u
      where u.directory_id = ${w.scope.directoryId} and ${users}`),
  );
  const changes = rows.filter((r) => r.current !== r.wanted);
  if (changes.length === 0) return 0;

  const previous = new Map(changes.map((r) => [r.id, r.current]));
  const bySlug = new Map<string | null, string[]>();
  for (const r of changes) bySlug.set(r.wanted, [...(bySlug.get(r.wanted) ?? []), r.id]);
  const updated = [];
  for (const [slug, ids] of bySlug) {
    updated.push(
      ...(await w.tx
        .update(directoryUsers)
        .set({ role: slug === null ? null : { slug }, updatedAt: w.now })
        .where(and(eq(directoryUsers.directoryId, w.scope.directoryId), inArray(directoryUsers.id, ids)))
        .returning()),
    );
  }
  const groupsOf = await loadGroupsOf(w.tx, updated.map((u) => u.id));
  // Events in user id order, whatever order the per-slug updates ran in.
  updated.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const row of updated) {
    const old = previous.get(row.id) ?? null;
    w.emit("dsync.user.updated", { ...toDirectoryUser(row, groupsOf.get(row.id) ?? []), previous_attributes: { role: old === null ? null : { slug: old } } });
  }
  return updated.length;
}
