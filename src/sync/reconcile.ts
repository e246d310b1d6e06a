// Reconcile: the only writer of directory users, groups and memberships, and the only creator of
// dsync.* events. Each function runs inside a DirectoryWrite (one transaction, directory locked),
// compares canonical values with stored ones, writes what changed and emits one event per change.
import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../db/client.js";
import { directories, directoryGroups, directoryUsers, groupMemberships } from "../db/schema.js";
import { GatewayError } from "../errors.js";
import {
  CanonicalGroup,
  CanonicalUser,
  GROUP_COMPARED_FIELDS,
  USER_COMPARED_FIELDS,
  newId,
  type CanonicalGroupInput,
  type CanonicalUserInput,
  type DirectoryGroup,
  type DirectoryState,
  type DirectoryUser,
} from "../model/index.js";
import { asJson, previousAttributes } from "./diff.js";
import { inTexts, insertJsonRows, insertRows, updateRows } from "./bulk.js";
import type { DirectoryWrite } from "./directory-write.js";
import { refsIn, writeMemberships } from "./membership-writes.js";
import { defaultRoleOf, hasRoleRules, recomputeRoles } from "./roles.js";
import { toCanonicalGroup, toCanonicalUser, toDirectory, toDirectoryGroup, toDirectoryUser, type GroupRow, type UserRow } from "./render.js";

/** Points at a user or group by our id or by the IdP's id. */
export type Ref = { id: string } | { idp_id: string };

/** What a write did to one record. */
export type Change = "created" | "updated" | "unchanged";

export interface UserResult {
  user: DirectoryUser;
  change: Change;
}

export interface GroupResult {
  group: DirectoryGroup;
  change: Change;
}

export interface MembershipResult {
  group: DirectoryGroup;
  added: string[];
  removed: string[];
  /** Refs that matched no user of this directory; the caller decides whether that is an error. */
  missing: Ref[];
}

/** Options for writes that are part of a full snapshot: rows touched get the run's mark. */
export interface MarkOptions {
  mark?: string;
}

// ---------------------------------------------------------------- users

/** upsertUsers options: the snapshot mark, and stored rows the caller has already read. */
export interface UpsertUsersOptions extends MarkOptions {
  /**
   * Every stored row among the inputs' idp_ids, read by the caller in this same write (under the
   * directory lock, so still current): the lookup is skipped. `[]` says none of them is stored.
   */
  existing?: UserRow[];
}

/**
 * Users parsed to their canonical form (defaults applied, values checked), each with its JSON text,
 * which is a new row's insert payload as it stands (canonical fields are named as their columns).
 * Parsing needs no lock, so a pull sync parses its next batch while the one before it is written,
 * and the write under the lock only joins texts.
 */
export class ParsedUsers {
  private constructor(
    readonly users: readonly CanonicalUser[],
    readonly texts: readonly string[],
    /** Whether each input gave a role; one that did not keeps the stored role (see applyUsers). */
    readonly roleGiven: readonly boolean[],
  ) {}

  static of(inputs: CanonicalUserInput[]): ParsedUsers {
    const texts = inputs.map(canonicalUserText);
    return new ParsedUsers(
      texts.map((text) => JSON.parse(text) as CanonicalUser),
      texts,
      inputs.map((input) => input.role !== undefined),
    );
  }

  /** Several batches as one, in order (each copied once). */
  static join(parts: ParsedUsers[]): ParsedUsers {
    return new ParsedUsers(parts.flatMap((p) => p.users), parts.flatMap((p) => p.texts), parts.flatMap((p) => p.roleGiven));
  }

  get length(): number {
    return this.users.length;
  }
}

export async function upsertUsers(w: DirectoryWrite, inputs: CanonicalUserInput[], options: UpsertUsersOptions = {}): Promise<UserResult[]> {
  return (await applyUsers(w, inputs, options, true)) as UserResult[];
}

/**
 * upsertUsers for callers that only count what changed (a pull sync): no user is rendered but for its
 * event, and an unchanged user's groups are not read (a daily full sync of an unchanged directory did
 * that for every user).
 */
export async function writeUsers(w: DirectoryWrite, inputs: CanonicalUserInput[] | ParsedUsers, options: UpsertUsersOptions = {}): Promise<Change[]> {
  return (await applyUsers(w, inputs, options, false)).map((r) => r.change);
}

/** With `render`, every result carries the user as the API shows it; without, only updated ones do (their event needs it). */
async function applyUsers(
  w: DirectoryWrite,
  inputs: CanonicalUserInput[] | ParsedUsers,
  options: UpsertUsersOptions,
  render: boolean,
): Promise<{ change: Change; user?: DirectoryUser }[]> {
  const parsed = inputs instanceof ParsedUsers ? inputs : ParsedUsers.of(inputs);
  if (parsed.length === 0) return [];
  const defaultRole = defaultRoleOf(w);
  const users = parsed.users.map((user, i) => {
    if (parsed.roleGiven[i]) return user;
    // A role is derived from groups (roles.ts), not sent by the IdP: an input without one keeps the
    // stored role, and a new user starts with the directory's default role (set below, once stored
    // rows are read). A copy: parsed users may be applied again if a shared transaction failed.
    return { ...user };
  });
  const stored = options.existing ?? (await selectUsers(w, inTexts(directoryUsers.idpId, unique(users.map((u) => u.idp_id)))));
  const existing = new Map(stored.map((r) => [r.idpId, r]));
  const mark = options.mark ?? null;
  const outcomes: { change: Change; row: UserRow; previous?: Record<string, unknown> }[] = [];
  const unchangedIds: string[] = [];
  // New and changed rows are written together after the loop: one statement per chunk, not one per
  // user. A new row's payload is its parsed text, or null where the batch named the user again.
  const inserts = new Map<string, { row: UserRow; text: string | null }>();
  const updates = new Map<string, Partial<UserRow>>();

  for (const [i, user] of users.entries()) {
    const current = existing.get(user.idp_id);
    if (!parsed.roleGiven[i]) user.role = current ? current.role : defaultRole;
    if (!current) {
      const row: UserRow = { ...userColumns(user), id: newId("directory_user"), ...scopeColumns(w), syncMark: mark, createdAt: w.now, updatedAt: w.now };
      existing.set(user.idp_id, row);
      inserts.set(user.idp_id, { row, text: parsed.texts[i]! });
      outcomes.push({ change: "created", row });
      continue;
    }
    const previous = previousAttributes(toCanonicalUser(current), user, USER_COMPARED_FIELDS);
    if (!previous) {
      if (!inserts.has(user.idp_id)) unchangedIds.push(current.id);
      outcomes.push({ change: "unchanged", row: current });
      continue;
    }
    const row: UserRow = { ...current, ...userColumns(user), syncMark: mark ?? current.syncMark, updatedAt: w.now };
    // The same user twice in one batch: the second version replaces the pending insert.
    if (inserts.has(user.idp_id)) inserts.set(user.idp_id, { row, text: null });
    else updates.set(current.id, { id: current.id, ...userColumns(user), syncMark: row.syncMark, updatedAt: w.now });
    existing.set(user.idp_id, row);
    outcomes.push({ change: "updated", row, previous });
  }
  // Rows first, events after: a new user's dsync.user.created names the rendering its insert made.
  const newRows = [...inserts.values()];
  const inserted = newRows.length
    ? await insertJsonRows<{ id: string; api_version: string | number }>(w.tx, directoryUsers, Object.keys(newRows[0]!.row), newRows.map(newUserJson), "id, api_version")
    : [];
  const versionOf = new Map(inserted.map((r) => [r.id, Number(r.api_version)]));
  await updateRows(w.tx, directoryUsers, [...updates.values()], eq(directoryUsers.directoryId, w.scope.directoryId));
  if (mark && unchangedIds.length > 0) {
    await w.tx.update(directoryUsers).set({ syncMark: mark }).where(inTexts(directoryUsers.id, unchangedIds));
  }
  // Groups of the users an event or a result shows; a new user has none yet.
  const shown = outcomes.filter((o) => o.change === "updated" || (o.change === "unchanged" && render));
  const groupsOf = await loadGroupsOf(w.tx, unique(shown.map((o) => o.row.id)));
  return outcomes.map(({ change, row, previous }) => {
    if (change === "unchanged") return { change, ...(render ? { user: toDirectoryUser(row, groupsOf.get(row.id) ?? []) } : {}) };
    if (change === "created") {
      // The row as inserted, unless the batch named the user again (its later version was inserted).
      const version = inserts.get(row.idpId)!.row === row ? versionOf.get(row.id) : undefined;
      if (version === undefined) w.emit("dsync.user.created", toDirectoryUser(row, []));
      else w.emitShown("dsync.user.created", { user_id: row.id, rendered_as_of: version });
      return { change, ...(render ? { user: toDirectoryUser(row, []) } : {}) };
    }
    const user = toDirectoryUser(row, groupsOf.get(row.id) ?? []);
    w.emit("dsync.user.updated", { ...user, previous_attributes: previous });
    return { change, user };
  });
}

/** Applies `change` to a stored user's canonical record and writes the result through upsertUsers. */
export async function updateUser(
  w: DirectoryWrite,
  ref: Ref,
  change: (current: CanonicalUser) => CanonicalUserInput,
): Promise<UserResult> {
  const [current] = await selectUsers(w, refCondition(directoryUsers, ref));
  if (!current) throw refNotFound("directory user", ref);
  const [result] = await upsertUsers(w, [{ ...change(toCanonicalUser(current)), idp_id: current.idpId }], { existing: [current] });
  return result!;
}

/** Deactivation keeps the user, with state inactive (dsync.user.updated). */
export function deactivateUser(w: DirectoryWrite, ref: Ref): Promise<UserResult> {
  return updateUser(w, ref, (user) => ({ ...user, state: "inactive" }));
}

/**
 * Deletes users (dsync.user.deleted each, carrying the user as it was, groups included).
 * Their memberships go with them without separate user_removed events.
 */
export async function deleteUsers(w: DirectoryWrite, refs: Ref[]): Promise<DirectoryUser[]> {
  const rows = await selectUsers(w, refsIn(directoryUsers, refs));
  if (rows.length === 0) return [];
  // In the order the refs name them: a batch of deletes emits what deleting them one by one would.
  const position = new Map<string, number>();
  refs.forEach((ref, i) => {
    const key = "id" in ref ? `id ${ref.id}` : `idp ${ref.idp_id}`;
    if (!position.has(key)) position.set(key, i);
  });
  const positionOf = (row: UserRow) => Math.min(position.get(`id ${row.id}`) ?? Infinity, position.get(`idp ${row.idpId}`) ?? Infinity);
  rows.sort((a, b) => positionOf(a) - positionOf(b));
  const groupsOf = await loadGroupsOf(w.tx, rows.map((r) => r.id));
  const deleted = rows.map((row) => toDirectoryUser(row, groupsOf.get(row.id) ?? []));
  const ids = rows.map((r) => r.id);
  // Edges have no foreign keys (see schema.ts): they go here, in the same round trip.
  await Promise.all([w.tx.delete(groupMemberships).where(inTexts(groupMemberships.userId, ids)), w.tx.delete(directoryUsers).where(inTexts(directoryUsers.id, ids))]);
  for (const user of deleted) w.emit("dsync.user.deleted", user);
  return deleted;
}

// ---------------------------------------------------------------- groups

export async function upsertGroups(
  w: DirectoryWrite,
  inputs: CanonicalGroupInput[],
  options: MarkOptions = {},
): Promise<GroupResult[]> {
  const groups = inputs.map((input) => asJson(CanonicalGroup.parse(input)));
  if (groups.length === 0) return [];
  const existing = new Map(
    (await selectGroups(w, inTexts(directoryGroups.idpId, unique(groups.map((g) => g.idp_id))))).map((r) => [r.idpId, r]),
  );
  const mark = options.mark ?? null;
  const results: GroupResult[] = [];
  const unchangedIds: string[] = [];
  const inserts = new Map<string, GroupRow>();

  for (const group of groups) {
    const current = existing.get(group.idp_id);
    if (!current) {
      const row: GroupRow = { ...groupColumns(group), id: newId("directory_group"), ...scopeColumns(w), syncMark: mark, createdAt: w.now, updatedAt: w.now };
      const rendered = toDirectoryGroup(row);
      w.emit("dsync.group.created", rendered);
      existing.set(group.idp_id, row);
      inserts.set(group.idp_id, row);
      results.push({ group: rendered, change: "created" });
      continue;
    }
    const previous = previousAttributes(toCanonicalGroup(current), group, GROUP_COMPARED_FIELDS);
    if (!previous) {
      if (!inserts.has(group.idp_id)) unchangedIds.push(current.id);
      results.push({ group: toDirectoryGroup(current), change: "unchanged" });
      continue;
    }
    const row: GroupRow = { ...current, ...groupColumns(group), syncMark: mark ?? current.syncMark, updatedAt: w.now };
    if (inserts.has(group.idp_id)) inserts.set(group.idp_id, row);
    else await w.tx.update(directoryGroups).set({ ...groupColumns(group), syncMark: row.syncMark, updatedAt: w.now }).where(eq(directoryGroups.id, current.id));
    const rendered = toDirectoryGroup(row);
    w.emit("dsync.group.updated", { ...rendered, previous_attributes: previous });
    existing.set(group.idp_id, row);
    results.push({ group: rendered, change: "updated" });
  }
  await insertRows(w.tx, directoryGroups, [...inserts.values()]);
  if (mark && unchangedIds.length > 0) {
    await w.tx.update(directoryGroups).set({ syncMark: mark }).where(inTexts(directoryGroups.id, unchangedIds));
  }
  return results;
}

/** Deletes groups (dsync.group.deleted each); memberships go with them. */
export async function deleteGroups(w: DirectoryWrite, refs: Ref[]): Promise<DirectoryGroup[]> {
  const rows = await selectGroups(w, refsIn(directoryGroups, refs));
  if (rows.length === 0) return [];
  // Their members lose a membership with the groups: their roles are recomputed after the delete.
  const members = hasRoleRules(w)
    ? (await w.tx.select({ userId: groupMemberships.userId }).from(groupMemberships).where(inArray(groupMemberships.groupId, rows.map((r) => r.id)))).map((m) => m.userId)
    : [];
  const ids = rows.map((r) => r.id);
  await Promise.all([w.tx.delete(groupMemberships).where(inArray(groupMemberships.groupId, ids)), w.tx.delete(directoryGroups).where(inArray(directoryGroups.id, ids))]);
  const deleted = rows.map(toDirectoryGroup);
  for (const group of deleted) w.emit("dsync.group.deleted", group);
  await recomputeRoles(w, members);
  return deleted;
}

// ---------------------------------------------------------------- memberships

/** Member changes of one group: the users to add or remove. */
export interface MemberChange {
  group: Ref;
  users: Ref[];
}

/**
 * Adds members to many groups in one set-based step; dsync.group.user_added for each user not
 * already a member, in change order, users in the order named. One result per change, null when
 * its group does not exist here (returned, not thrown, so the transaction stays usable).
 */
export async function addMemberships(w: DirectoryWrite, changes: MemberChange[], options: MarkOptions = {}): Promise<(MembershipResult | null)[]> {
  const results = await writeMemberships(w, "add", changes, options.mark ?? null);
  await recomputeRoles(w, results.flatMap((r) => r?.added ?? []));
  return results;
}

/** Removes members from many groups in one set-based step; dsync.group.user_removed for each user that was a member. */
export async function removeMemberships(w: DirectoryWrite, changes: MemberChange[]): Promise<(MembershipResult | null)[]> {
  const results = await writeMemberships(w, "remove", changes, null);
  await recomputeRoles(w, results.flatMap((r) => r?.removed ?? []));
  return results;
}

/** Adds users to a group; dsync.group.user_added for each user not already a member. */
export async function addGroupMembers(
  w: DirectoryWrite,
  groupRef: Ref,
  userRefs: Ref[],
  options: MarkOptions = {},
): Promise<MembershipResult> {
  const [result] = await addMemberships(w, [{ group: groupRef, users: userRefs }], options);
  if (!result) throw refNotFound("directory group", groupRef);
  return result;
}

/** Removes users from a group; dsync.group.user_removed for each user that was a member. */
export async function removeGroupMembers(w: DirectoryWrite, groupRef: Ref, userRefs: Ref[]): Promise<MembershipResult> {
  const [result] = await removeMemberships(w, [{ group: groupRef, users: userRefs }]);
  if (!result) throw refNotFound("directory group", groupRef);
  return result;
}

/** Makes `userRefs` the group's exact member list, emitting only the differences. */
export async function replaceGroupMembers(w: DirectoryWrite, groupRef: Ref, userRefs: Ref[]): Promise<MembershipResult> {
  const group = await requireGroup(w, groupRef);
  const { users, missing } = await resolveUsers(w, userRefs);
  const wanted = new Set(users.map((u) => u.id));
  const current = await w.tx
    .select({ userId: groupMemberships.userId })
    .from(groupMemberships)
    .where(eq(groupMemberships.groupId, group.id));
  const toRemove = current.map((r) => r.userId).filter((id) => !wanted.has(id));
  const removed = toRemove.length ? await removeGroupMembers(w, { id: group.id }, toRemove.map((id) => ({ id }))) : null;
  const added = await addGroupMembers(w, { id: group.id }, users.map((u) => ({ id: u.id })));
  return { group: added.group, added: added.added, removed: removed?.removed ?? [], missing };
}

// ---------------------------------------------------------------- the directory itself

/** Changes the directory's state; becoming linked for the first time emits dsync.activated. */
export async function setDirectoryState(w: DirectoryWrite, state: DirectoryState): Promise<void> {
  if (w.directory.state === state) return;
  const [row] = await w.tx
    .update(directories)
    .set({ state, updatedAt: w.now })
    .where(eq(directories.id, w.scope.directoryId))
    .returning();
  // Later operations of this unit of work (group commit may put several state changes in one)
  // compare with the new state, so a second "linked" emits nothing.
  w.directory.state = row!.state;
  w.directory.updatedAt = row!.updatedAt;
  if (state === "linked") w.emit("dsync.activated", toDirectory(row!));
}

/**
 * Deletes the directory with its users, groups and memberships. Emits dsync.deleted alone: the app
 * is told once that everything under the directory is gone, with no per-user or per-group events.
 */
export async function deleteDirectory(w: DirectoryWrite): Promise<void> {
  w.emit("dsync.deleted", { ...toDirectory(w.directory), state: "deleting", updated_at: w.now.toISOString() });
  // Edges by group (the primary key's prefix); users and groups go with the directory (cascade).
  const groups = w.tx.select({ id: directoryGroups.id }).from(directoryGroups).where(eq(directoryGroups.directoryId, w.scope.directoryId));
  await Promise.all([
    w.tx.delete(groupMemberships).where(inArray(groupMemberships.groupId, groups)),
    w.tx.delete(directories).where(eq(directories.id, w.scope.directoryId)),
  ]);
}

// ---------------------------------------------------------------- snapshot sweep

/**
 * After a full snapshot: deletes up to `limit` users, groups and memberships of this directory that
 * the run with `mark` did not see, in that order. Returns how many it removed; 0 means done.
 */
export async function sweepUnseen(w: DirectoryWrite, mark: string, limit: number): Promise<{ users: number; groups: number; memberships: number }> {
  const unseenUsers = await w.tx
    .select({ id: directoryUsers.id })
    .from(directoryUsers)
    .where(and(eq(directoryUsers.directoryId, w.scope.directoryId), unseenBy(directoryUsers.syncMark, mark)))
    .limit(limit);
  if (unseenUsers.length > 0) return { users: (await deleteUsers(w, unseenUsers)).length, groups: 0, memberships: 0 };

  const unseenGroups = await w.tx
    .select({ id: directoryGroups.id })
    .from(directoryGroups)
    .where(and(eq(directoryGroups.directoryId, w.scope.directoryId), unseenBy(directoryGroups.syncMark, mark)))
    .limit(limit);
  if (unseenGroups.length > 0) return { users: 0, groups: (await deleteGroups(w, unseenGroups)).length, memberships: 0 };

  const unseenEdges = await w.tx
    .select({ groupId: groupMemberships.groupId, userId: groupMemberships.userId })
    .from(groupMemberships)
    .where(and(eq(groupMemberships.directoryId, w.scope.directoryId), unseenBy(groupMemberships.syncMark, mark)))
    .limit(limit);
  const changes = [...groupBy(unseenEdges, (e) => e.groupId, (e) => e.userId)].map(([groupId, userIds]) => ({ group: { id: groupId }, users: userIds.map((id) => ({ id })) }));
  const results = changes.length ? await removeMemberships(w, changes) : [];
  return { users: 0, groups: 0, memberships: results.reduce((n, r) => n + (r?.removed.length ?? 0), 0) };
}

// ---------------------------------------------------------------- helpers

function scopeColumns(w: DirectoryWrite) {
  return { directoryId: w.scope.directoryId, organizationId: w.scope.organizationId };
}

function userColumns(user: CanonicalUser) {
  return {
    idpId: user.idp_id,
    firstName: user.first_name,
    lastName: user.last_name,
    name: user.name,
    email: user.email,
    emails: user.emails,
    username: user.username,
    jobTitle: user.job_title,
    state: user.state,
    customAttributes: user.custom_attributes,
    rawAttributes: user.raw_attributes,
    role: user.role,
  };
}

/**
 * A user parsed with defaults, as JSON text (undefined values dropped, as jsonb would); a missing
 * display name is derived from first and last name.
 */
function canonicalUserText(input: CanonicalUserInput): string {
  const user = CanonicalUser.parse(input);
  user.name ??= [user.first_name, user.last_name].filter(Boolean).join(" ") || null;
  return JSON.stringify(user);
}

/**
 * A new user's insert payload, keyed by column name: its canonical text (from the row if none),
 * then the columns reconcile assigns, the role included: one not given was set from the stored or
 * default role, and of duplicate keys jsonb keeps the last.
 */
function newUserJson({ row, text }: { row: UserRow; text: string | null }): string {
  const assigned = { id: row.id, directory_id: row.directoryId, organization_id: row.organizationId, sync_mark: row.syncMark, created_at: row.createdAt, updated_at: row.updatedAt, role: row.role };
  return `${(text ?? JSON.stringify(toCanonicalUser(row))).slice(0, -1)},${JSON.stringify(assigned).slice(1)}`;
}

function groupColumns(group: CanonicalGroup) {
  return { idpId: group.idp_id, name: group.name, rawAttributes: group.raw_attributes };
}

type RefTable = typeof directoryUsers | typeof directoryGroups;

function refCondition(table: RefTable, ref: Ref) {
  return "id" in ref ? eq(table.id, ref.id) : eq(table.idpId, ref.idp_id);
}

function selectUsers(w: DirectoryWrite, condition: SQL) {
  return w.tx
    .select()
    .from(directoryUsers)
    .where(and(eq(directoryUsers.directoryId, w.scope.directoryId), condition));
}

function selectGroups(w: DirectoryWrite, condition: SQL) {
  return w.tx
    .select()
    .from(directoryGroups)
    .where(and(eq(directoryGroups.directoryId, w.scope.directoryId), condition));
}

async function requireGroup(w: DirectoryWrite, ref: Ref): Promise<GroupRow> {
  const [group] = await selectGroups(w, refCondition(directoryGroups, ref));
  if (!group) throw refNotFound("directory group", ref);
  return group;
}

async function resolveUsers(w: DirectoryWrite, refs: Ref[]): Promise<{ users: UserRow[]; missing: Ref[] }> {
  const users = refs.length ? await selectUsers(w, refsIn(directoryUsers, refs)) : [];
  const found = (ref: Ref) => users.some((u) => ("id" in ref ? u.id === ref.id : u.idpId === ref.idp_id));
  return { users, missing: refs.filter((ref) => !found(ref)) };
}

/** Groups of each user, as they stand in this transaction. */
export async function loadGroupsOf(tx: Db, userIds: string[]): Promise<Map<string, GroupRow[]>> {
  const byUser = new Map<string, GroupRow[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return byUser;
  const rows = await tx
    .select({ userId: groupMemberships.userId, group: directoryGroups })
    .from(groupMemberships)
    .innerJoin(directoryGroups, eq(directoryGroups.id, groupMemberships.groupId))
    .where(inTexts(groupMemberships.userId, userIds))
    .orderBy(directoryGroups.id);
  for (const row of rows) byUser.get(row.userId)!.push(row.group);
  return byUser;
}

function refNotFound(what: string, ref: Ref): GatewayError {
  return new GatewayError("not_found", "id" in ref ? `${what} not found: ${ref.id}` : `${what} not found for idp_id ${ref.idp_id}`);
}

/** Rows whose mark is not this run's (null included): the snapshot did not see them. */
function unseenBy(column: AnyPgColumn, mark: string): SQL {
  return sql`${column} is distinct from ${mark}`;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function groupBy<T, K, V>(items: T[], key: (item: T) => K, value: (item: T) => V): Map<K, V[]> {
  const out = new Map<K, V[]>();
  for (const item of items) {
    const list = out.get(key(item)) ?? [];
    list.push(value(item));
    out.set(key(item), list);
  }
  return out;
}
