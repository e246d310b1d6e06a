// The Okta org an emulator serves: users, groups, memberships and the System Log, on a fake clock.
// Every mutation updates the timestamps real Okta updates and appends the log events it writes
// (idp-apis.md §3.4-3.6). Tests and the standalone CLI drive it through these methods.
import { randomBytes, randomUUID, type KeyObject } from "node:crypto";

export type OktaUserStatus =
  | "STAGED"
  | "PROVISIONED"
  | "ACTIVE"
  | "RECOVERY"
  | "LOCKED_OUT"
  | "PASSWORD_EXPIRED"
  | "SUSPENDED"
  | "DEPROVISIONED";

export type OktaGroupType = "OKTA_GROUP" | "APP_GROUP" | "BUILT_IN";

/** A user as stored; timestamps are epoch milliseconds and become ISO strings on the wire. */
export interface OktaUser {
  id: string;
  status: OktaUserStatus;
  created: number;
  activated: number | null;
  statusChanged: number | null;
  lastLogin: number | null;
  lastUpdated: number;
  passwordChanged: number | null;
  profile: Record<string, unknown>;
}

export interface OktaGroup {
  id: string;
  type: OktaGroupType;
  created: number;
  lastUpdated: number;
  lastMembershipUpdated: number;
  profile: Record<string, unknown>;
}

/** One System Log entry; `persisted` is when polling queries can first see it (a configurable lag). */
export interface OktaLogEvent {
  uuid: string;
  published: number;
  persisted: number;
  eventType: string;
  displayMessage: string;
  target: { id: string; type: "User" | "UserGroup"; alternateId: string; displayName: string }[];
}

/** A registered OAuth 2.0 service app (client credentials with private_key_jwt). */
export interface OktaServiceApp {
  clientId: string;
  publicKey: KeyObject;
  keyId?: string;
  allowedScopes: string[];
}

const EPOCH = Date.parse("2026-11-01T00:00:00.000Z");
const ADMIN = { id: "00u1admin000000000001", type: "User", alternateId: "admin@example.com", displayName: "Ada Admin" };

export class OktaDirectory {
  now = EPOCH;
  /** How long after `published` an event becomes visible to polling queries. */
  logLagMs = 0;
  readonly users = new Map<string, OktaUser>();
  readonly groups = new Map<string, OktaGroup>();
  readonly members = new Map<string, Set<string>>();
  readonly logs: OktaLogEvent[] = [];
  readonly apiTokens = new Set<string>();
  readonly serviceApps = new Map<string, OktaServiceApp>();
  readonly accessTokens = new Map<string, { expiresAt: number; scopes: string[] }>();
  private sequence = 0;
  /** Bumped whenever a user is added or removed, so a server can keep its id-ordered list until then. */
  usersVersion = 0;
  readonly everyoneId: string;

  constructor() {
    this.everyoneId = this.createGroup({ name: "Everyone", description: "All users in your organization" }, "BUILT_IN").id;
  }

  advance(ms: number): void {
    this.now += ms;
  }

  /** Okta-looking ids ("00u" / "00g" + 17 characters), increasing so list order is creation order. */
  private nextId(prefix: "00u" | "00g"): string {
    this.sequence += 1;
    return `${prefix}${this.sequence.toString(36).padStart(12, "0")}${randomBytes(3).toString("hex").slice(0, 5)}`;
  }

  createUser(profile: Record<string, unknown>, status: OktaUserStatus = "ACTIVE"): OktaUser {
    const at = this.now;
    const active = status !== "STAGED" && status !== "PROVISIONED";
    const user: OktaUser = {
      id: this.nextId("00u"),
      status,
      created: at,
      activated: active ? at : null,
      statusChanged: active ? at : null,
      lastLogin: null,
      lastUpdated: at,
      passwordChanged: active ? at : null,
      profile: { login: profile.email, ...profile },
    };
    this.users.set(user.id, user);
    this.usersVersion += 1;
    this.log("user.lifecycle.create", "Create okta user", [this.userTarget(user)]);
    if (active) this.log("user.lifecycle.activate", "Activate Okta user", [this.userTarget(user)]);
    this.addMember(this.everyoneId, user.id, { silent: true });
    return user;
  }

  updateProfile(userId: string, changes: Record<string, unknown>): OktaUser {
    const user = this.requireUser(userId);
    user.profile = { ...user.profile, ...changes };
    user.lastUpdated = this.now;
    this.log("user.account.update_profile", "Update user profile for Okta", [this.userTarget(user)]);
    return user;
  }

  setStatus(userId: string, status: OktaUserStatus): OktaUser {
    const user = this.requireUser(userId);
    const eventType =
      status === "DEPROVISIONED" ? "user.lifecycle.deactivate"
      : status === "SUSPENDED" ? "user.lifecycle.suspend"
      : status === "LOCKED_OUT" ? "user.account.lock"
      : user.status === "SUSPENDED" ? "user.lifecycle.unsuspend"
      : user.status === "DEPROVISIONED" ? "user.lifecycle.reactivate"
      : "user.lifecycle.activate";
    user.status = status;
    user.statusChanged = this.now;
    user.lastUpdated = this.now;
    if (status === "ACTIVE" && user.activated === null) user.activated = this.now;
    this.log(eventType, `User status ${status}`, [this.userTarget(user)]);
    return user;
  }

  /** Okta deletes in two steps: a user must be DEPROVISIONED first; afterwards it is simply gone. */
  deleteUser(userId: string): void {
    const user = this.requireUser(userId);
    if (user.status !== "DEPROVISIONED") this.setStatus(userId, "DEPROVISIONED");
    this.log("user.lifecycle.delete.initiated", "Delete Okta user", [this.userTarget(user)]);
    for (const [groupId, set] of this.members) {
      if (set.delete(userId)) this.requireGroup(groupId).lastMembershipUpdated = this.now;
    }
    this.users.delete(userId);
    this.usersVersion += 1;
  }

  createGroup(profile: { name: string; description?: string; [k: string]: unknown }, type: OktaGroupType = "OKTA_GROUP"): OktaGroup {
    const group: OktaGroup = {
      id: this.nextId("00g"),
      type,
      created: this.now,
      lastUpdated: this.now,
      lastMembershipUpdated: this.now,
      profile: { description: null, ...profile },
    };
    this.groups.set(group.id, group);
    this.members.set(group.id, new Set());
    if (type !== "BUILT_IN") this.log("group.lifecycle.create", "Create Okta group", [this.groupTarget(group)]);
    return group;
  }

  renameGroup(groupId: string, name: string): OktaGroup {
    const group = this.requireGroup(groupId);
    group.profile = { ...group.profile, name };
    group.lastUpdated = this.now;
    this.log("group.profile.update", "Update group profile", [this.groupTarget(group)]);
    return group;
  }

  deleteGroup(groupId: string): void {
    const group = this.requireGroup(groupId);
    this.log("group.lifecycle.delete", "Delete Okta group", [this.groupTarget(group)]);
    this.groups.delete(groupId);
    this.members.delete(groupId);
  }

  addMember(groupId: string, userId: string, options: { silent?: boolean } = {}): void {
    const group = this.requireGroup(groupId);
    const user = this.requireUser(userId);
    if (this.members.get(groupId)!.has(userId)) return;
    this.members.get(groupId)!.add(userId);
    group.lastMembershipUpdated = this.now;
    if (!options.silent) this.log("group.user_membership.add", "Add user to group membership", [this.userTarget(user), this.groupTarget(group)]);
  }

  removeMember(groupId: string, userId: string): void {
    const group = this.requireGroup(groupId);
    const user = this.requireUser(userId);
    if (!this.members.get(groupId)!.delete(userId)) return;
    group.lastMembershipUpdated = this.now;
    this.log("group.user_membership.remove", "Remove user from group membership", [this.userTarget(user), this.groupTarget(group)]);
  }

  addApiToken(token = `00${randomBytes(20).toString("base64url")}`): string {
    this.apiTokens.add(token);
    return token;
  }

  addServiceApp(app: OktaServiceApp): void {
    this.serviceApps.set(app.clientId, app);
  }

  /**
   * A realistic org of `users` people in `groups` groups, each user in a few groups; deterministic
   * for a given count, so a standalone emulator and a benchmark see the same data.
   */
  generate(users: number, groups: number, membershipsPerUser = 3): void {
    const departments = ["Engineering", "Sales", "Support", "Finance", "People", "Legal", "Marketing"];
    const groupIds = Array.from({ length: groups }, (_, g) =>
      this.createGroup({ name: `Team ${String(g).padStart(4, "0")}`, description: `Generated group ${g}` }, g % 10 === 9 ? "APP_GROUP" : "OKTA_GROUP").id,
    );
    for (let i = 0; i < users; i++) {
      const first = `User${i}`;
      const last = `Generated${i % 997}`;
      const email = `user${i}@example.com`;
      const user = this.createUser({
        email,
        firstName: first,
        lastName: last,
        displayName: `${first} ${last}`,
        employeeNumber: `E${100000 + i}`,
        department: departments[i % departments.length],
        title: i % 50 === 0 ? "Manager" : "Engineer",
        costCenter: `CC-${i % 40}`,
      });
      for (let k = 0; k < Math.min(membershipsPerUser, groupIds.length); k++) {
        this.addMember(groupIds[(i * 7 + k * 13) % groupIds.length]!, user.id, { silent: true });
      }
    }
  }

  requireUser(idOrLogin: string): OktaUser {
    const user = this.users.get(idOrLogin) ?? [...this.users.values()].find((u) => u.profile.login === idOrLogin);
    if (!user) throw new Error(`no such Okta user: ${idOrLogin}`);
    return user;
  }

  requireGroup(id: string): OktaGroup {
    const group = this.groups.get(id);
    if (!group) throw new Error(`no such Okta group: ${id}`);
    return group;
  }

  private log(eventType: string, displayMessage: string, target: OktaLogEvent["target"]): void {
    this.logs.push({ uuid: randomUUID(), published: this.now, persisted: this.now + this.logLagMs, eventType, displayMessage, target });
  }

  private userTarget(user: OktaUser) {
    const displayName = [user.profile.firstName, user.profile.lastName].filter(Boolean).join(" ");
    return { id: user.id, type: "User" as const, alternateId: String(user.profile.login), displayName };
  }

  private groupTarget(group: OktaGroup) {
    return { id: group.id, type: "UserGroup" as const, alternateId: "unknown", displayName: String(group.profile.name) };
  }

  /** The log's fixed actor and envelope fields, for rendering. */
  static readonly actor = ADMIN;
}
