// Fills a GoogleDirectory with N realistic users, groups and memberships, deterministically from a
// seed, for standalone runs and benchmarks (100,000 users). Memory matters here: organizations and
// membership edges are shared frozen values, and only per-user facts get their own objects.
import type { GoogleDirectory, GoogleUserSeed, MemberRole, StoredUser } from "./directory.js";

/** How big and how messy the generated directory is. */
export interface GenerateOptions {
  seed?: number;
  users: number;
  /** Default: users / 50, between 1 and 2,000. */
  groups?: number;
  /** Average direct group memberships per user (default 2). */
  membershipsPerUser?: number;
  /** Deleted users still in the recovery window (default 0.5% of users). */
  deletedUsers?: number;
  /** Share of users suspended / archived (defaults 2% / 0.5%). */
  suspendedRatio?: number;
  archivedRatio?: number;
}

/** What was generated, for assertions and CLI output. */
export interface GeneratedSummary {
  adminEmail: string;
  users: number;
  deletedUsers: number;
  groups: number;
  memberships: number;
  nestedGroupEdges: number;
}

const GIVEN = ["Jane", "John", "Ana", "Luca", "Mei", "Omar", "Priya", "Sven", "Chloé", "Kwame", "Yuki", "Noah", "Fatima", "Diego", "Ingrid", "Tariq", "Elena", "Hiro", "Zanele", "Pierre"];
const FAMILY = ["Doe", "Smith", "García", "Rossi", "Chen", "Haddad", "Iyer", "Berg", "Martin", "Mensah", "Sato", "Müller", "Khan", "López", "Olsen", "Nakamura", "Novak", "Dubois", "Okafor", "Silva"];
const DEPARTMENTS = ["R&D", "Sales", "Support", "Finance", "People", "Legal", "Marketing", "Operations"];
const TITLES = ["Engineer", "Senior Engineer", "Manager", "Analyst", "Specialist", "Director", "Associate", "Lead"];
const ORG_UNITS = ["/", "/Engineering", "/Engineering/Platform", "/Sales", "/Sales/EMEA", "/Support", "/Finance", "/People"];
const TEAMS = ["eng", "sales", "support", "finance", "people", "legal", "marketing", "ops", "platform", "design"];

/** mulberry32: small, fast and deterministic; good enough to scatter fixtures. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ascii = (s: string) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

export function generateDirectory(dir: GoogleDirectory, options: GenerateOptions): GeneratedSummary {
  const rand = prng(options.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const n = options.users;
  const groupCount = options.groups ?? Math.min(2000, Math.max(1, Math.floor(n / 50)));
  const perUser = options.membershipsPerUser ?? 2;
  const deletedCount = options.deletedUsers ?? Math.floor(n * 0.005);
  const suspendedRatio = options.suspendedRatio ?? 0.02;
  const archivedRatio = options.archivedRatio ?? 0.005;
  const primary = dir.domains[0]!;
  // 100,000 CREATE_USER audit events would be pure overhead: generated data is history.
  const recording = dir.recordActivities;
  dir.recordActivities = false;
  const secondary = dir.domains[1];

  dir.defineSchema({
    schemaName: "EmployeeInfo",
    fields: [
      { fieldName: "EmployeeNumber", fieldType: "STRING" },
      { fieldName: "Level", fieldType: "INT64" },
    ],
  });
  const organizations = new Map<string, ReadonlyArray<Record<string, unknown>>>();
  const orgFor = (title: string, department: string) => {
    const key = `${title}|${department}`;
    let o = organizations.get(key);
    if (!o) organizations.set(key, (o = Object.freeze([Object.freeze({ title, department, primary: true, customType: "" })])));
    return o;
  };
  const baseTime = Date.UTC(2020, 0, 1);
  const users: StoredUser[] = [];

  const seedUser = (i: number): GoogleUserSeed => {
    const givenName = pick(GIVEN);
    const familyName = pick(FAMILY);
    const domain = secondary && rand() < 0.1 ? secondary : primary;
    const email = `${ascii(givenName)}.${ascii(familyName)}.${i}@${domain}`;
    const manager = users.length > 10 && rand() < 0.3 ? users[Math.floor(rand() * Math.min(users.length, 500))] : undefined;
    const seed: GoogleUserSeed = {
      primaryEmail: email,
      name: { givenName, familyName },
      orgUnitPath: pick(ORG_UNITS),
      creationTime: new Date(baseTime + Math.floor(rand() * 5 * 365 * 86400) * 1000).toISOString(),
      lastLoginTime: new Date(baseTime + Math.floor((5 * 365 + rand() * 300) * 86400) * 1000).toISOString(),
      organizations: orgFor(pick(TITLES), pick(DEPARTMENTS)) as Array<Record<string, unknown>>,
      externalIds: [{ value: `E${100000 + i}`, type: "organization" }],
      customSchemas: { EmployeeInfo: { EmployeeNumber: String(100000 + i), Level: 1 + Math.floor(rand() * 8) } },
    };
    if (manager) seed.relations = [{ value: manager.fields.primaryEmail, type: "manager" }];
    const r = rand();
    if (r < suspendedRatio) {
      seed.suspended = true;
      seed.suspensionReason = "ADMIN";
    } else if (r < suspendedRatio + archivedRatio) {
      seed.archived = true;
    }
    return seed;
  };

  const admin = dir.addUser({
    primaryEmail: `admin@${primary}`,
    name: { givenName: "Directory", familyName: "Admin" },
    isAdmin: true,
    creationTime: new Date(baseTime).toISOString(),
  });
  users.push(admin);
  for (let i = 1; i < n; i++) users.push(dir.addUser(seedUser(i)));
  for (let i = 0; i < deletedCount; i++) {
    const seed = seedUser(n + i);
    dir.addDeletedUser(seed, new Date(dir.clock.now() - Math.floor(rand() * 15 * 86400_000)).toISOString());
  }

  const groups = [];
  for (let g = 0; g < groupCount; g++) {
    const team = TEAMS[g % TEAMS.length]!;
    groups.push(
      dir.addGroup({
        email: g === 0 ? `everyone@${primary}` : `${team}-${g}@${primary}`,
        name: g === 0 ? "Everyone" : `${team[0]!.toUpperCase()}${team.slice(1)} ${g}`,
        description: g === 0 ? "The whole account" : `Team ${team} number ${g}`,
      }),
    );
  }
  // "Everyone" holds the CUSTOMER member: the whole account, as admins often configure it.
  dir.addMemberFast(groups[0]!, dir.customerId, "CUSTOMER");
  let memberships = 1;
  for (const user of users) {
    const k = Math.max(0, Math.round(perUser + (rand() - 0.5) * 2));
    for (let j = 0; j < k; j++) {
      const group = groups[groupCount === 1 ? 0 : 1 + Math.floor(rand() * (groupCount - 1))]!;
      const role: MemberRole = rand() < 0.02 ? "OWNER" : rand() < 0.03 ? "MANAGER" : "MEMBER";
      if (!group.members.has(user.id)) memberships++;
      dir.addMemberFast(group, user.id, "USER", role);
    }
  }
  // Nesting only points from a lower index to a higher one, so there are no cycles.
  let nested = 0;
  for (let g = 1; g < groupCount - 1; g++) {
    if (rand() < 0.05) {
      const child = groups[g + 1 + Math.floor(rand() * (groupCount - g - 1))]!;
      dir.addMemberFast(groups[g]!, child.id, "GROUP");
      nested++;
      memberships++;
    }
  }
  dir.mutations++;
  dir.recordActivities = recording;
  return { adminEmail: admin.fields.primaryEmail, users: n, deletedUsers: deletedCount, groups: groupCount, memberships, nestedGroupEdges: nested };
}
