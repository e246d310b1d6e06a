// The same records reach the same canonical users whichever IdP they came from (issue #7 point 5):
// one generated organization goes through Okta's and Entra's SCIM sequences and through seeded Graph,
// Google and Okta emulators (Graph and Okta by a full and by an incremental run), each into its own
// directory of one gateway; the users, groups and memberships an app reads through the REST API are
// compared with the organization field by field, once loaded and again after a round of changes
// made the way each IdP makes them.
// Where a source cannot carry a field, EXCEPTIONS says so and why; an exception that no longer
// applies fails the test too, so the list stays true.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./harness.js";
import { changeOrganization, diffOrganizations, effectiveMembers, expectedUser, generateOrganization, type ExpectedUser, type Organization, type Person } from "./support/org-generator.js";
import { ALL_SOURCES, type OrgSource } from "./support/org-sources.js";

type Field = keyof ExpectedUser;

/**
 * A field a source does not carry as the organization has it, for the people `applies` selects:
 * `vendor` when the vendor API has no place for it, `gap` when the gateway does not read it yet.
 */
interface SourceException {
  source: string;
  field: Field;
  kind: "vendor" | "gap";
  applies(person: Person, org: Organization): boolean;
  /** What the source yields instead (compared too: the exception is exact, not a pass). */
  instead(person: Person, org: Organization): unknown;
  reason: string;
}

const EXCEPTIONS: SourceException[] = [
  {
    source: "Google Workspace",
    field: "username",
    kind: "vendor",
    applies: (p) => p.username !== p.email,
    instead: (p) => p.email,
    reason: "Google Workspace has no sign-in name apart from primaryEmail, so a separate login cannot be carried",
  },
  {
    source: "Google Workspace",
    field: "division",
    kind: "vendor",
    applies: () => true,
    instead: () => undefined,
    reason: "Google's organizations[] entries have title, department and costCenter but no division (Admin SDK User.organizations)",
  },
  {
    source: "Entra SCIM",
    field: "groups",
    kind: "vendor",
    applies: (p, o) => directGroups(o, p).join() !== expectedUser(o, p).groups.join(),
    instead: (p, o) => directGroups(o, p),
    reason: "Entra's provisioning service pushes a group's direct user members only; a nested group and its people are not provisioned over SCIM",
  },
];

/** How a source names a user's manager in custom_attributes, and what the value identifies. */
interface ManagerReference {
  attribute: string;
  by: "idp_id" | "email";
  /** Why a source departs from the common form (manager_id = the manager's idp_id). */
  reason?: string;
}

const MANAGER_REFERENCE: ManagerReference = { attribute: "manager_id", by: "idp_id" };
const MANAGER_REFERENCE_EXCEPTIONS: Record<string, ManagerReference> = {
  "Google Workspace": {
    attribute: "manager_email",
    by: "email",
    reason: "Google's relations[type=manager] entry carries the manager's e-mail address, not an id; the mapping keeps it as manager_email",
  },
};

const COMPARED: Field[] = [
  "first_name", "last_name", "name", "email", "emails", "username", "state", "job_title",
  "department", "employee_number", "cost_center", "division", "manager", "groups",
];

let h: Harness;
const org = generateOrganization();
const changed = changeOrganization(org);
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("one organization through every source", () => {
  it("is a generated organization with the variety the comparison needs", () => {
    const people = org.people;
    const groupsOf = (p: Person) => org.groups.filter((g) => effectiveMembers(org, g).includes(p.key)).length;
    expect(people.length).toBeGreaterThanOrEqual(30);
    expect(people.filter((p) => p.status === "suspended").length).toBeGreaterThan(0);
    expect(people.filter((p) => p.status === "deactivated").length).toBeGreaterThan(0);
    expect(people.filter((p) => p.secondaryEmail).length).toBeGreaterThan(0);
    expect(people.filter((p) => p.title === null).length).toBeGreaterThan(0);
    expect(people.filter((p) => !p.displayNameSet && p.displayName === `${p.givenName} ${p.familyName}`).length).toBeGreaterThan(0);
    expect(people.filter((p) => p.username !== p.email).length).toBeGreaterThan(0);
    expect(people.filter((p) => p.displayName !== `${p.givenName} ${p.familyName}`).length).toBeGreaterThan(0);
    expect(people.filter((p) => groupsOf(p) === 0 && p.status === "active").length).toBeGreaterThan(0);
    expect(people.filter((p) => groupsOf(p) >= 2).length).toBeGreaterThan(3);
    expect(new Set(people.map((p) => p.email)).size).toBe(people.length);
    // A nested group that adds people beyond its direct members, one of them reachable both ways.
    const nested = org.groups.find((g) => g.subgroups.length > 0)!;
    expect(effectiveMembers(org, nested).length).toBeGreaterThan(nested.members.length);
    expect(nested.members.some((key) => org.groups.find((g) => g.key === nested.subgroups[0])!.members.includes(key))).toBe(true);
    // The round of changes touches names, job data, managers, states, addresses, members and a group name.
    const diff = diffOrganizations(org, changed);
    const fields = new Set(diff.people.flatMap((p) => p.changed));
    for (const field of ["familyName", "displayName", "title", "costCenter", "manager", "status", "secondaryEmail"]) expect(fields).toContain(field);
    expect(diff.people.some((p) => p.changed.includes("title") && p.after.title === null)).toBe(true);
    expect(diff.groups.some((g) => g.renamed && g.added.length > 0)).toBe(true);
    expect(diff.groups.some((g) => g.removed.length > 0)).toBe(true);
  });

  it.each(ALL_SOURCES.map((s) => [s.name, s] as const))("%s yields the organization's canonical users, groups and memberships, before and after a round of changes", async (_name, source) => {
    const loaded = await source.load(h, org);
    try {
      expect(await differences(source, org, loaded.directoryId)).toEqual([]);
      await loaded.apply(org, changed);
      expect(await differences(source, changed, loaded.directoryId)).toEqual([]);
    } finally {
      await loaded.close();
    }
  });

  it("lists each exception with a reason, for a source and field the test knows", () => {
    for (const e of EXCEPTIONS) {
      expect(ALL_SOURCES.map((s) => s.name)).toContain(e.source);
      expect(COMPARED).toContain(e.field);
      expect(e.reason.length).toBeGreaterThan(20);
    }
    for (const [source, reference] of Object.entries(MANAGER_REFERENCE_EXCEPTIONS)) {
      expect(ALL_SOURCES.map((s) => s.name)).toContain(source);
      expect(reference.reason?.length).toBeGreaterThan(20);
    }
  });
});

/** Every mismatch between what the app reads for `source` and the organization, one line each. */
async function differences(source: OrgSource, org: Organization, directoryId: string): Promise<string[]> {
  const users = await listAll(`/directory_users?directory=${directoryId}`);
  const groups = await listAll(`/directory_groups?directory=${directoryId}`);
  const out: string[] = [];
  const byEmail = new Map(users.map((u) => [String(u.email).toLowerCase(), u]));
  const personOf = new Map(org.people.map((p) => [p.email.toLowerCase(), p]));

  if (users.length !== org.people.length) out.push(`${users.length} users, expected ${org.people.length}`);
  for (const u of users) if (!personOf.has(String(u.email).toLowerCase())) out.push(`unexpected user ${u.email} (${u.idp_id})`);

  const wanted = (person: Person, field: Field) => {
    const exception = EXCEPTIONS.find((e) => e.source === source.name && e.field === field && e.applies(person, org));
    return { value: exception ? exception.instead(person, org) : expectedUser(org, person)[field], exception };
  };

  // Groups: the same names; each group's members as the app lists them by group (the people whose
  // expected groups name it, so a listed exception reads the same from both sides).
  const groupNames = groups.map((g) => g.name).sort();
  const expectedNames = org.groups.map((g) => g.name).sort();
  if (JSON.stringify(groupNames) !== JSON.stringify(expectedNames)) out.push(`groups ${JSON.stringify(groupNames)}, expected ${JSON.stringify(expectedNames)}`);
  for (const g of org.groups) {
    const stored = groups.find((x) => x.name === g.name);
    if (!stored) continue;
    const members = (await listAll(`/directory_users?group=${stored.id}`)).map((u) => String(u.email).toLowerCase()).sort();
    const expected = org.people.filter((p) => (wanted(p, "groups").value as string[]).includes(g.name)).map((p) => p.email.toLowerCase()).sort();
    if (JSON.stringify(members) !== JSON.stringify(expected)) out.push(`group ${g.name}: members ${JSON.stringify(members)}, expected ${JSON.stringify(expected)}`);
  }

  for (const person of org.people) {
    const user = byEmail.get(person.email.toLowerCase());
    if (!user) {
      out.push(`${person.key} (${person.email}) missing`);
      continue;
    }
    const got = canonicalOf(user, users, personOf, source);
    for (const field of COMPARED) {
      const { value, exception } = wanted(person, field);
      if (JSON.stringify(got[field]) !== JSON.stringify(value)) {
        out.push(`${person.key} ${field}: expected ${JSON.stringify(value)}${exception ? " (listed exception)" : ""}, got ${JSON.stringify(got[field])}`);
      }
    }
  }
  return out;
}

/** The groups a person is directly in (no nesting), sorted by name. */
function directGroups(org: Organization, person: Person): string[] {
  return org.groups.filter((g) => g.members.includes(person.key)).map((g) => g.name).sort();
}

/**
 * What an app reads, in the organization's terms: the manager resolved to a person through the
 * reference the user carries (MANAGER_REFERENCE, or the source's listed exception), groups by name,
 * e-mails as sorted values.
 */
function canonicalOf(user: any, users: any[], personOf: Map<string, Person>, source: OrgSource): Record<Field, unknown> {
  const custom = user.custom_attributes ?? {};
  const reference = MANAGER_REFERENCE_EXCEPTIONS[source.name] ?? MANAGER_REFERENCE;
  const value = custom[reference.attribute];
  let manager: string | null = null;
  if (value !== undefined && value !== null) {
    const managerUser = reference.by === "idp_id" ? users.find((u) => u.idp_id === value) : users.find((u) => String(u.email).toLowerCase() === String(value).toLowerCase());
    manager = managerUser ? (personOf.get(String(managerUser.email).toLowerCase())?.key ?? "unknown") : `unresolved ${value}`;
  }
  return {
    first_name: user.first_name,
    last_name: user.last_name,
    name: user.name,
    email: user.email,
    emails: (user.emails as { value: string }[]).map((e) => e.value.toLowerCase()).sort(),
    username: user.username,
    state: user.state,
    job_title: user.job_title,
    department: custom.department,
    employee_number: custom.employee_number,
    cost_center: custom.cost_center,
    division: custom.division,
    manager,
    groups: (user.groups as { name: string }[]).map((g) => g.name).sort(),
  };
}

async function listAll(path: string): Promise<any[]> {
  const out: any[] = [];
  let after = "";
  for (;;) {
    const page = await h.json("GET", `${path}&limit=100&order=asc${after ? `&after=${after}` : ""}`);
    out.push(...page.data);
    if (!page.list_metadata.after) return out;
    after = page.list_metadata.after;
  }
}
