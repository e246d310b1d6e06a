// Turns stored directory objects into Directory API wire resources (idp-apis.md §2.3, §2.4):
// defaults Google always sends, computed fullName and emails, projections, string counts, and the
// omission of empty repeated fields. Pure: reads the directory, never changes it.
import type { GoogleDirectory, MemberEdge, StoredGroup, StoredUser } from "./directory.js";

/** `basic` strips customSchemas, `custom` keeps the masked ones, `full` keeps all. */
export type Projection = { kind: "basic" } | { kind: "custom"; mask: Set<string> } | { kind: "full" };

const NEVER_LOGGED_IN = "1970-01-01T00:00:00.000Z";

export function toUserResource(dir: GoogleDirectory, user: StoredUser, projection: Projection): Record<string, unknown> {
  const f = user.fields;
  const out: Record<string, unknown> = {
    kind: "admin#directory#user",
    id: user.id,
    etag: dir.etag("user", user.id, user.version),
    primaryEmail: f.primaryEmail,
    name: { ...f.name, fullName: `${f.name.givenName} ${f.name.familyName}`.trim() },
    isAdmin: false,
    isDelegatedAdmin: false,
    lastLoginTime: NEVER_LOGGED_IN,
    agreedToTerms: true,
    suspended: false,
    archived: false,
    changePasswordAtNextLogin: false,
    ipWhitelisted: false,
    emails: [{ address: f.primaryEmail, primary: true }],
    customerId: dir.customerId,
    isMailboxSetup: true,
    isEnrolledIn2Sv: false,
    isEnforcedIn2Sv: false,
    includeInGlobalAddressList: true,
  };
  // Assign rather than spread-then-delete: `delete` drops V8 objects into dictionary mode, which
  // makes serializing a 500-user page several times slower.
  for (const key in f) {
    if (key === "name" || key === "primaryEmail" || key === "customSchemas") continue;
    const v = f[key as keyof typeof f];
    if (isPresent(v)) out[key] = v;
  }
  if (user.deletionTime) out.deletionTime = user.deletionTime;
  if (f.customSchemas && projection.kind !== "basic") {
    let picked: Record<string, unknown> | undefined;
    for (const schema in f.customSchemas) {
      if (projection.kind === "full" || projection.mask.has(schema)) (picked ??= {})[schema] = f.customSchemas[schema];
    }
    if (picked) out.customSchemas = picked;
  }
  return out;
}

export function toGroupResource(dir: GoogleDirectory, group: StoredGroup): Record<string, unknown> {
  const f = group.fields;
  const out: Record<string, unknown> = {
    kind: "admin#directory#group",
    id: group.id,
    etag: dir.etag("group", group.id, group.version),
    email: f.email,
    name: f.name,
    // int64 fields travel as strings in Google's JSON.
    directMembersCount: String(group.members.size),
  };
  if (f.description !== undefined) out.description = f.description;
  out.adminCreated = f.adminCreated ?? true;
  if (isPresent(f.aliases)) out.aliases = f.aliases;
  if (isPresent(f.nonEditableAliases)) out.nonEditableAliases = f.nonEditableAliases;
  return out;
}

/** A member entry; email and status come from the live object, so renames and suspensions show. */
export function toMemberResource(dir: GoogleDirectory, group: StoredGroup, memberId: string, e: MemberEdge): Record<string, unknown> {
  const out: Record<string, unknown> = {
    kind: "admin#directory#member",
    etag: dir.etag("member", `${group.id}:${memberId}`, e.version),
    id: memberId,
  };
  switch (e.type) {
    case "USER": {
      const user = dir.getUserById(memberId);
      if (user) out.email = user.fields.primaryEmail;
      out.role = e.role;
      out.type = "USER";
      out.status = user?.fields.suspended ? "SUSPENDED" : "ACTIVE";
      break;
    }
    case "GROUP":
      out.email = dir.getGroupById(memberId)?.fields.email;
      out.role = e.role;
      out.type = "GROUP";
      break;
    case "CUSTOMER":
      // The whole account: no email, the id is the customer id [idp-apis §2.4].
      out.role = e.role;
      out.type = "CUSTOMER";
      break;
    case "EXTERNAL":
      out.email = e.email;
      out.role = e.role;
      out.type = "EXTERNAL";
      out.status = "ACTIVE";
      break;
  }
  return out;
}

/** Google omits empty repeated fields and absent values instead of sending [] or null. */
function isPresent(v: unknown): boolean {
  return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
}
