// The Google Workspace directory the emulator serves: one customer, its domains, users (live and
// deleted), groups, member edges and custom schema definitions, with per-object versions that turn
// into etags. It owns every mutation; it never renders wire resources (render.ts) or speaks HTTP.
import { createHash } from "node:crypto";

/** The emulator's time source: wall clock plus an offset the control surface advances. */
export interface FakeClock {
  now(): number;
}

/** The resource fields a test seeds for a user; kind, id, etag and defaults are filled in on render. */
export interface GoogleUserFields {
  primaryEmail: string;
  name: { givenName: string; familyName: string; displayName?: string };
  isAdmin?: boolean;
  isDelegatedAdmin?: boolean;
  suspended?: boolean;
  suspensionReason?: string;
  archived?: boolean;
  orgUnitPath?: string;
  creationTime?: string;
  lastLoginTime?: string;
  emails?: Array<{ address: string; primary?: boolean; type?: string; customType?: string }>;
  aliases?: string[];
  nonEditableAliases?: string[];
  organizations?: Array<Record<string, unknown>>;
  externalIds?: Array<{ value: string; type: string; customType?: string }>;
  relations?: Array<{ value: string; type: string; customType?: string }>;
  phones?: Array<{ value: string; type: string; primary?: boolean }>;
  customSchemas?: Record<string, Record<string, unknown>>;
  isGuestUser?: boolean;
  thumbnailPhotoUrl?: string;
  isEnrolledIn2Sv?: boolean;
  isEnforcedIn2Sv?: boolean;
}

/** A seed for one user: the fields plus an optional fixed id. */
export type GoogleUserSeed = GoogleUserFields & { id?: string };

/** A stored user: fields plus the bookkeeping that drives ordering, etags and the deleted list. */
export interface StoredUser {
  id: string;
  /** Insertion sequence: the unspecified-but-stable default list order. */
  seq: number;
  /** Bumped on every mutation; the etag is derived from it. */
  version: number;
  fields: GoogleUserFields;
  deletionTime?: string;
}

/** A seed for one group. */
export interface GoogleGroupSeed {
  id?: string;
  email: string;
  name: string;
  description?: string;
  adminCreated?: boolean;
  aliases?: string[];
  nonEditableAliases?: string[];
}

/** A stored group with its direct member edges keyed by member id (insertion-ordered). */
export interface StoredGroup {
  id: string;
  seq: number;
  version: number;
  fields: Omit<GoogleGroupSeed, "id">;
  members: Map<string, MemberEdge>;
}

export type MemberRole = "OWNER" | "MANAGER" | "MEMBER";
export type MemberType = "USER" | "GROUP" | "CUSTOMER" | "EXTERNAL";

/** One direct membership edge. Edges are immutable values so the common ones can be shared. */
export interface MemberEdge {
  readonly type: MemberType;
  readonly role: MemberRole;
  readonly version: number;
  /** Only for EXTERNAL members, which have no directory object. */
  readonly email?: string;
}

/** Shared edges: 300,000 generated memberships need not be 300,000 objects. */
const SHARED_EDGES = new Map<string, MemberEdge>();
function edge(type: MemberType, role: MemberRole, version: number): MemberEdge {
  const key = `${type}:${role}:${version}`;
  let e = SHARED_EDGES.get(key);
  if (!e) SHARED_EDGES.set(key, (e = Object.freeze({ type, role, version })));
  return e;
}

/** A custom schema definition (the userschemas resource, reduced to what listing needs). */
export interface CustomSchemaDef {
  schemaName: string;
  fields: Array<{ fieldName: string; fieldType: string; multiValued?: boolean }>;
}

/** A member to add: a user or group by id or email, the customer, or an external address. */
export type MemberSeed =
  | { userKey: string; role?: MemberRole }
  | { groupKey: string; role?: MemberRole }
  | { customer: true; role?: MemberRole }
  | { externalEmail: string; role?: MemberRole };

/** One admin audit event, as the Reports API activity list serves it (idp-apis.md §2.5 point 3). */
export interface AdminActivity {
  time: number;
  uniqueQualifier: string;
  actorEmail: string;
  type: "USER_SETTINGS" | "GROUP_SETTINGS";
  name: string;
  parameters: Record<string, string>;
}

export const DELETED_USER_RETENTION_MS = 20 * 24 * 3600_000;

export class GoogleDirectory {
  readonly customerId: string;
  readonly domains: string[];
  readonly schemas = new Map<string, CustomSchemaDef>();
  private readonly users = new Map<string, StoredUser>();
  private readonly deleted = new Map<string, StoredUser>();
  private readonly userKeys = new Map<string, string>();
  private readonly groups = new Map<string, StoredGroup>();
  private readonly groupKeys = new Map<string, string>();
  private seq = 0;
  private idCounter = 0;
  /** Bumped on every mutation: list etags and the sorted-list caches key on it. */
  mutations = 0;
  /** The admin audit log; seeding and generation switch it off, so it holds only later changes. */
  readonly activities: AdminActivity[] = [];
  recordActivities = true;
  /** Who the audit log says made each change. */
  actorEmail: string;

  constructor(
    readonly clock: FakeClock,
    options: { customerId?: string; domains?: string[] } = {},
  ) {
    this.customerId = options.customerId ?? "C03az79cb";
    this.domains = options.domains ?? ["example.com"];
    this.actorEmail = `admin@${this.domains[0]}`;
  }

  // ---- reads -------------------------------------------------------------------------------

  get userCount(): number {
    return this.users.size;
  }

  liveUsers(): IterableIterator<StoredUser> {
    return this.users.values();
  }

  /** Deleted users still inside Google's recovery window (about 20 days). */
  deletedUsers(): StoredUser[] {
    const cutoff = this.clock.now() - DELETED_USER_RETENTION_MS;
    return [...this.deleted.values()].filter((u) => Date.parse(u.deletionTime!) >= cutoff);
  }

  allGroups(): IterableIterator<StoredGroup> {
    return this.groups.values();
  }

  /** userKey is the id, the primary email or an alias (case-insensitive), as in Google. */
  findUser(userKey: string): StoredUser | undefined {
    const id = this.users.has(userKey) ? userKey : this.userKeys.get(userKey.toLowerCase());
    return id === undefined ? undefined : this.users.get(id);
  }

  findDeletedUser(id: string): StoredUser | undefined {
    return this.deleted.get(id);
  }

  getUserById(id: string): StoredUser | undefined {
    return this.users.get(id);
  }

  /** groupKey is the id, the email or an alias. */
  findGroup(groupKey: string): StoredGroup | undefined {
    const id = this.groups.has(groupKey) ? groupKey : this.groupKeys.get(groupKey.toLowerCase());
    return id === undefined ? undefined : this.groups.get(id);
  }

  getGroupById(id: string): StoredGroup | undefined {
    return this.groups.get(id);
  }

  /** An opaque etag for any (kind, id, version): it changes whenever the version does. */
  etag(kind: string, id: string, version: number): string {
    const h = createHash("sha1").update(`${this.customerId}|${kind}|${id}|${version}`).digest("base64url").slice(0, 27);
    return `"${this.customerId}/${h}"`;
  }

  // ---- user mutations ----------------------------------------------------------------------

  addUser(seed: GoogleUserSeed): StoredUser {
    const { id: fixedId, ...fields } = seed;
    const id = fixedId ?? this.nextUserId();
    if (this.users.has(id) || this.deleted.has(id)) throw new Error(`user id ${id} already exists`);
    if (this.userKeys.has(fields.primaryEmail.toLowerCase())) throw new Error(`email ${fields.primaryEmail} is taken`);
    const user: StoredUser = {
      id,
      seq: ++this.seq,
      version: 1,
      fields: { orgUnitPath: "/", creationTime: new Date(this.clock.now()).toISOString(), ...fields },
    };
    this.users.set(id, user);
    this.indexUserKeys(user);
    this.mutations++;
    this.logActivity("USER_SETTINGS", "CREATE_USER", { USER_EMAIL: fields.primaryEmail });
    return user;
  }

  /** Shallow-merges fields (name is merged one level deeper) and bumps the etag. */
  updateUser(userKey: string, patch: Partial<GoogleUserFields>): StoredUser {
    const user = this.requireUser(userKey);
    this.unindexUserKeys(user);
    const before = user.fields;
    const name = patch.name ? { ...user.fields.name, ...patch.name } : user.fields.name;
    user.fields = { ...user.fields, ...patch, name };
    this.indexUserKeys(user);
    this.logUserChanges(before, user.fields);
    return this.touchUser(user);
  }

  suspendUser(userKey: string, reason = "ADMIN"): StoredUser {
    return this.updateUser(userKey, { suspended: true, suspensionReason: reason });
  }

  unsuspendUser(userKey: string): StoredUser {
    const user = this.requireUser(userKey);
    delete user.fields.suspensionReason;
    return this.updateUser(userKey, { suspended: false });
  }

  archiveUser(userKey: string, archived = true): StoredUser {
    return this.updateUser(userKey, { archived });
  }

  /** A rename keeps the id; the old primary address stays reachable as an alias, as in Google. */
  renameUser(userKey: string, newPrimaryEmail: string): StoredUser {
    const user = this.requireUser(userKey);
    const old = user.fields.primaryEmail;
    const others = (user.fields.emails ?? [{ address: old }])
      .filter((e) => e.address !== newPrimaryEmail)
      .map((e) => ({ address: e.address, ...(e.type ? { type: e.type } : {}) }));
    return this.updateUser(userKey, {
      primaryEmail: newPrimaryEmail,
      aliases: [...(user.fields.aliases ?? []), old],
      emails: [{ address: newPrimaryEmail, primary: true }, ...others],
    });
  }

  /** Deletion moves the user to the showDeleted list and drops it from every group. */
  deleteUser(userKey: string): StoredUser {
    const user = this.requireUser(userKey);
    this.users.delete(user.id);
    this.unindexUserKeys(user);
    for (const group of this.groups.values()) {
      if (group.members.delete(user.id)) group.version++;
    }
    user.deletionTime = new Date(this.clock.now()).toISOString();
    user.version++;
    this.deleted.set(user.id, user);
    this.mutations++;
    this.logActivity("USER_SETTINGS", "DELETE_USER", { USER_EMAIL: user.fields.primaryEmail });
    return user;
  }

  undeleteUser(id: string): StoredUser {
    const user = this.deleted.get(id);
    if (!user) throw new Error(`no deleted user ${id}`);
    this.deleted.delete(id);
    delete user.deletionTime;
    this.users.set(id, user);
    this.indexUserKeys(user);
    this.logActivity("USER_SETTINGS", "UNDELETE_USER", { USER_EMAIL: user.fields.primaryEmail });
    return this.touchUser(user);
  }

  /** A deleted user seeded directly (for showDeleted tests and generated directories). */
  addDeletedUser(seed: GoogleUserSeed, deletionTime: string): StoredUser {
    const user = this.addUser(seed);
    this.users.delete(user.id);
    this.unindexUserKeys(user);
    user.deletionTime = deletionTime;
    this.deleted.set(user.id, user);
    return user;
  }

  defineSchema(def: CustomSchemaDef): void {
    this.schemas.set(def.schemaName, def);
    this.mutations++;
  }

  // ---- group and member mutations ------------------------------------------------------------

  addGroup(seed: GoogleGroupSeed): StoredGroup {
    const { id: fixedId, ...fields } = seed;
    const id = fixedId ?? this.nextGroupId();
    if (this.groups.has(id)) throw new Error(`group id ${id} already exists`);
    const group: StoredGroup = { id, seq: ++this.seq, version: 1, fields: { adminCreated: true, ...fields }, members: new Map() };
    this.groups.set(id, group);
    this.indexGroupKeys(group);
    this.mutations++;
    this.logActivity("GROUP_SETTINGS", "CREATE_GROUP", { GROUP_EMAIL: fields.email });
    return group;
  }

  updateGroup(groupKey: string, patch: Partial<Omit<GoogleGroupSeed, "id">>): StoredGroup {
    const group = this.requireGroup(groupKey);
    this.unindexGroupKeys(group);
    group.fields = { ...group.fields, ...patch };
    this.indexGroupKeys(group);
    group.version++;
    this.mutations++;
    return group;
  }

  deleteGroup(groupKey: string): void {
    const group = this.requireGroup(groupKey);
    this.groups.delete(group.id);
    this.unindexGroupKeys(group);
    for (const other of this.groups.values()) {
      if (other.members.delete(group.id)) other.version++;
    }
    this.mutations++;
    this.logActivity("GROUP_SETTINGS", "DELETE_GROUP", { GROUP_EMAIL: group.fields.email });
  }

  /** Adds or re-roles a direct member. Returns the member id. */
  addMember(groupKey: string, member: MemberSeed): string {
    const group = this.requireGroup(groupKey);
    const role = member.role ?? "MEMBER";
    let id: string;
    let type: MemberType;
    let email: string | undefined;
    if ("userKey" in member) {
      id = this.requireUser(member.userKey).id;
      type = "USER";
    } else if ("groupKey" in member) {
      id = this.requireGroup(member.groupKey).id;
      if (id === group.id) throw new Error("a group cannot contain itself");
      type = "GROUP";
    } else if ("customer" in member) {
      id = this.customerId;
      type = "CUSTOMER";
    } else {
      email = member.externalEmail.toLowerCase();
      id = `ext-${createHash("sha1").update(email).digest("hex").slice(0, 16)}`;
      type = "EXTERNAL";
    }
    const previous = group.members.get(id);
    const version = (previous?.version ?? 0) + 1;
    group.members.set(id, email ? Object.freeze({ type, role, version, email }) : edge(type, role, version));
    group.version++;
    this.mutations++;
    if (!previous) this.logActivity("GROUP_SETTINGS", "ADD_GROUP_MEMBER", { ...this.memberParam(id, type, email), GROUP_EMAIL: group.fields.email });
    return id;
  }

  /** Bulk path for generators: no validation, shared edges, no version churn. */
  addMemberFast(group: StoredGroup, memberId: string, type: MemberType, role: MemberRole = "MEMBER"): void {
    group.members.set(memberId, edge(type, role, 1));
  }

  removeMember(groupKey: string, memberKey: string): void {
    const group = this.requireGroup(groupKey);
    const id = this.resolveMemberId(group, memberKey);
    const removed = id === undefined ? undefined : group.members.get(id);
    if (id === undefined || !removed) throw new Error(`${memberKey} is not a member of ${groupKey}`);
    group.members.delete(id);
    group.version++;
    this.mutations++;
    this.logActivity("GROUP_SETTINGS", "REMOVE_GROUP_MEMBER", { ...this.memberParam(id, removed.type, removed.email), GROUP_EMAIL: group.fields.email });
  }

  /** memberKey is an id or an email of a user, a group or an external member. */
  resolveMemberId(group: StoredGroup, memberKey: string): string | undefined {
    if (group.members.has(memberKey)) return memberKey;
    const id = this.findUser(memberKey)?.id ?? this.findGroup(memberKey)?.id;
    if (id !== undefined && group.members.has(id)) return id;
    for (const [mid, e] of group.members) if (e.email === memberKey.toLowerCase()) return mid;
    return undefined;
  }

  // ---- internals -----------------------------------------------------------------------------

  private logActivity(type: AdminActivity["type"], name: string, parameters: Record<string, string>): void {
    if (!this.recordActivities) return;
    const time = this.clock.now();
    this.activities.push({ time, uniqueQualifier: String(this.activities.length + 1), actorEmail: this.actorEmail, type, name, parameters });
  }

  /** The audit events Google's admin application records for a user change. */
  private logUserChanges(before: GoogleUserFields, after: GoogleUserFields): void {
    const email = after.primaryEmail;
    if (before.primaryEmail !== after.primaryEmail) this.logActivity("USER_SETTINGS", "RENAME_USER", { USER_EMAIL: before.primaryEmail, NEW_VALUE: email });
    if (!!before.suspended !== !!after.suspended) this.logActivity("USER_SETTINGS", after.suspended ? "SUSPEND_USER" : "UNSUSPEND_USER", { USER_EMAIL: email });
    if (!!before.archived !== !!after.archived) this.logActivity("USER_SETTINGS", after.archived ? "ARCHIVE_USER" : "UNARCHIVE_USER", { USER_EMAIL: email });
    if (!!before.isAdmin !== !!after.isAdmin) {
      this.logActivity("USER_SETTINGS", after.isAdmin ? "GRANT_ADMIN_PRIVILEGE" : "REVOKE_ADMIN_PRIVILEGE", { USER_EMAIL: email });
    }
    if (before.name.givenName !== after.name.givenName) this.logActivity("USER_SETTINGS", "CHANGE_FIRST_NAME", { USER_EMAIL: email, NEW_VALUE: after.name.givenName });
    if (before.name.familyName !== after.name.familyName) this.logActivity("USER_SETTINGS", "CHANGE_LAST_NAME", { USER_EMAIL: email, NEW_VALUE: after.name.familyName });
  }

  private memberParam(id: string, type: MemberType, email: string | undefined): Record<string, string> {
    if (type === "USER") return { USER_EMAIL: this.users.get(id)?.fields.primaryEmail ?? id };
    if (type === "GROUP") return { USER_EMAIL: this.groups.get(id)?.fields.email ?? id };
    return { USER_EMAIL: email ?? id };
  }

  private touchUser(user: StoredUser): StoredUser {
    user.version++;
    this.mutations++;
    return user;
  }

  private requireUser(userKey: string): StoredUser {
    const user = this.findUser(userKey);
    if (!user) throw new Error(`no user ${userKey}`);
    return user;
  }

  private requireGroup(groupKey: string): StoredGroup {
    const group = this.findGroup(groupKey);
    if (!group) throw new Error(`no group ${groupKey}`);
    return group;
  }

  private indexUserKeys(user: StoredUser): void {
    for (const key of [user.fields.primaryEmail, ...(user.fields.aliases ?? [])]) this.userKeys.set(key.toLowerCase(), user.id);
  }

  private unindexUserKeys(user: StoredUser): void {
    for (const key of [user.fields.primaryEmail, ...(user.fields.aliases ?? [])]) {
      if (this.userKeys.get(key.toLowerCase()) === user.id) this.userKeys.delete(key.toLowerCase());
    }
  }

  private indexGroupKeys(group: StoredGroup): void {
    for (const key of [group.fields.email, ...(group.fields.aliases ?? [])]) this.groupKeys.set(key.toLowerCase(), group.id);
  }

  private unindexGroupKeys(group: StoredGroup): void {
    for (const key of [group.fields.email, ...(group.fields.aliases ?? [])]) {
      if (this.groupKeys.get(key.toLowerCase()) === group.id) this.groupKeys.delete(key.toLowerCase());
    }
  }

  /** Google user ids are 21-digit numeric strings (built below 2^53 so no digit is rounded). */
  private nextUserId(): string {
    return `1${String(4857347213876543 + ++this.idCounter * 7919).padStart(20, "0")}`;
  }

  /** Google group ids look like `03ep43zb1s6kf2w`: 15 base-36 characters. */
  private nextGroupId(): string {
    return `03${(0x1b2c3d4e5f + ++this.idCounter * 104729).toString(36).padStart(13, "0")}`;
  }
}
