// The Graph emulator's tenant: users, groups and their members, plus the change journal that delta
// rounds read. Every mutation through these methods is journaled, as the real service's change
// tracking is; seeding (bulk load before any delta round) is not, since initial rounds enumerate.
import { randomUUID } from "node:crypto";

/** A user as the emulator stores it: Graph property names, values as the service would return them. */
export type GraphObject = Record<string, unknown> & { id: string };

/** One change, in the order it happened. */
export type JournalEntry =
  /** `manager`: the change was to the manager link; `previous` names the manager it replaced. */
  | { kind: "user"; id: string; manager?: { previous: string | null } }
  | { kind: "group"; id: string }
  | { kind: "member"; groupId: string; userId: string; removed: boolean };

export const USER_PROPERTIES = [
  "id", "userPrincipalName", "mail", "givenName", "surname", "displayName", "accountEnabled", "jobTitle", "department",
  "companyName", "officeLocation", "employeeId", "employeeType", "mobilePhone", "businessPhones", "preferredLanguage",
  "usageLocation", "userType", "createdDateTime", "onPremisesExtensionAttributes", "onPremisesSyncEnabled",
  "employeeOrgData", "otherMails",
] as const;

/** What /users returns without $select (Graph's documented default set). */
export const USER_DEFAULT_SELECT = [
  "businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone", "officeLocation",
  "preferredLanguage", "surname", "userPrincipalName",
];

export const GROUP_PROPERTIES = [
  "id", "displayName", "description", "mail", "mailEnabled", "mailNickname", "securityEnabled", "groupTypes",
  "createdDateTime", "visibility", "membershipRule", "onPremisesSyncEnabled",
] as const;

export const GROUP_DEFAULT_SELECT = [...GROUP_PROPERTIES];

function emptyExtensionAttributes(): Record<string, null> {
  return Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`extensionAttribute${i + 1}`, null]));
}

export class GraphTenant {
  readonly users = new Map<string, GraphObject>();
  /** Soft-deleted users (restorable from deletedItems for 30 days). */
  readonly deletedUsers = new Map<string, GraphObject>();
  readonly groups = new Map<string, GraphObject>();
  /** Direct members of each group: user ids, and the ids of nested groups. */
  readonly members = new Map<string, Set<string>>();
  /** Ids of deleted groups, so a removed link to one still names its type. */
  readonly deletedGroupIds = new Set<string>();
  readonly journal: JournalEntry[] = [];

  constructor(private readonly domain = "contoso.example") {}

  newUser(props: Partial<GraphObject> = {}, journal = true): GraphObject {
    const id = (props.id as string | undefined) ?? randomUUID();
    const n = this.users.size + this.deletedUsers.size + 1;
    const given = (props.givenName as string | undefined) ?? `Given${n}`;
    const surname = (props.surname as string | undefined) ?? `Surname${n}`;
    const upn = (props.userPrincipalName as string | undefined) ?? `user${n}.${id.slice(0, 8)}@${this.domain}`;
    const user: GraphObject = {
      id,
      userPrincipalName: upn,
      mail: upn,
      givenName: given,
      surname,
      displayName: `${given} ${surname}`,
      accountEnabled: true,
      jobTitle: null,
      department: null,
      employeeId: null,
      businessPhones: [],
      userType: "Member",
      createdDateTime: new Date().toISOString(),
      onPremisesExtensionAttributes: emptyExtensionAttributes(),
      ...props,
    };
    this.users.set(id, user);
    if (journal) this.journal.push({ kind: "user", id });
    return user;
  }

  updateUser(id: string, patch: Record<string, unknown>): void {
    const user = this.users.get(id);
    if (!user) throw new Error(`emulator: no user ${id}`);
    this.users.set(id, { ...user, ...patch, id });
    this.journal.push({ kind: "user", id });
  }

  /**
   * Sets or clears a user's manager (a relationship, not a property: stored as `manager`, the
   * manager's id, served as manager@delta in users/delta and by /users/{id}/manager).
   */
  setManager(id: string, managerId: string | null, journal = true): void {
    const user = this.users.get(id);
    if (!user) throw new Error(`emulator: no user ${id}`);
    const previous = typeof user.manager === "string" ? user.manager : null;
    this.users.set(id, { ...user, manager: managerId });
    if (journal) this.journal.push({ kind: "user", id, manager: { previous } });
  }

  /** Soft delete: delta reports @removed reason "changed"; memberships go, as they do in Entra. */
  softDeleteUser(id: string): void {
    const user = this.users.get(id);
    if (!user) throw new Error(`emulator: no user ${id}`);
    this.users.delete(id);
    this.deletedUsers.set(id, user);
    this.dropMemberships(id);
    this.journal.push({ kind: "user", id });
  }

  restoreUser(id: string): void {
    const user = this.deletedUsers.get(id);
    if (!user) throw new Error(`emulator: no deleted user ${id}`);
    this.deletedUsers.delete(id);
    this.users.set(id, user);
    this.journal.push({ kind: "user", id });
  }

  /** Hard delete: delta reports @removed reason "deleted". */
  hardDeleteUser(id: string): void {
    if (this.users.has(id)) this.dropMemberships(id);
    this.users.delete(id);
    this.deletedUsers.delete(id);
    this.journal.push({ kind: "user", id });
  }

  newGroup(props: Partial<GraphObject> = {}, memberIds: string[] = [], journal = true): GraphObject {
    const id = (props.id as string | undefined) ?? randomUUID();
    const name = (props.displayName as string | undefined) ?? `Group ${this.groups.size + 1}`;
    const group: GraphObject = {
      id,
      displayName: name,
      description: null,
      mail: null,
      mailEnabled: false,
      mailNickname: name.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
      securityEnabled: true,
      groupTypes: [],
      createdDateTime: new Date().toISOString(),
      visibility: null,
      ...props,
    };
    this.groups.set(id, group);
    this.members.set(id, new Set());
    if (journal) this.journal.push({ kind: "group", id });
    for (const userId of memberIds) journal ? this.addMember(id, userId) : this.members.get(id)!.add(userId);
    return group;
  }

  updateGroup(id: string, patch: Record<string, unknown>): void {
    const group = this.groups.get(id);
    if (!group) throw new Error(`emulator: no group ${id}`);
    this.groups.set(id, { ...group, ...patch, id });
    this.journal.push({ kind: "group", id });
  }

  deleteGroup(id: string): void {
    // A deleted group leaves the groups it was nested in, as a deleted user does.
    this.dropMemberships(id);
    this.deletedGroupIds.add(id);
    this.groups.delete(id);
    this.members.delete(id);
    this.journal.push({ kind: "group", id });
  }

  addMember(groupId: string, userId: string): void {
    const set = this.members.get(groupId);
    if (!set) throw new Error(`emulator: no group ${groupId}`);
    set.add(userId);
    this.journal.push({ kind: "member", groupId, userId, removed: false });
  }

  removeMember(groupId: string, userId: string): void {
    this.members.get(groupId)?.delete(userId);
    this.journal.push({ kind: "member", groupId, userId, removed: true });
  }

  /** Every member reached from `groupId` through nested groups, each once (groups included), depth first. */
  transitiveMembers(groupId: string): string[] {
    const seen = new Set<string>();
    const walk = (id: string) => {
      for (const member of this.members.get(id) ?? []) {
        if (seen.has(member) || member === groupId) continue;
        seen.add(member);
        if (this.groups.has(member)) walk(member);
      }
    };
    walk(groupId);
    return [...seen];
  }

  private dropMemberships(userId: string): void {
    for (const [groupId, set] of this.members) {
      if (set.delete(userId)) this.journal.push({ kind: "member", groupId, userId, removed: true });
    }
  }

  /** Bulk load: `users` users and `groups` groups of about `membersPerGroup` members, unjournaled. */
  seed(options: { users: number; groups?: number; membersPerGroup?: number }): void {
    const userIds: string[] = [];
    for (let i = 0; i < options.users; i++) {
      const user = this.newUser(
        {
          jobTitle: i % 3 === 0 ? "Engineer" : "Analyst",
          department: `Dept ${i % 17}`,
          employeeId: `E${100000 + i}`,
          accountEnabled: i % 50 !== 49,
        },
        false,
      );
      userIds.push(user.id);
    }
    const groups = options.groups ?? 0;
    const per = Math.min(options.membersPerGroup ?? 0, userIds.length);
    for (let g = 0; g < groups; g++) {
      const members: string[] = [];
      const start = (g * 7919) % Math.max(userIds.length, 1);
      for (let k = 0; k < per; k++) members.push(userIds[(start + k) % userIds.length]!);
      this.newGroup({ displayName: `Group ${g + 1}` }, members, false);
    }
  }
}
