// One generated organization, independent of any IdP: people with names, e-mails, job data,
// managers and states, and groups with their members. Deterministic for a seed. The renderers in
// org-sources.ts turn it into what each IdP sends or serves; `expectedUser` is what every source
// must become in the canonical model.

/** One person of the organization, as HR knows them. */
export interface Person {
  /** Stable key inside the generated organization ("p07"); never sent to an IdP. */
  key: string;
  givenName: string;
  familyName: string;
  /** Usually "given family"; some people go by a preferred name. */
  displayName: string;
  /**
   * False for someone whose IdP record has no display name where the IdP leaves it optional (Okta,
   * Google); Entra fills it from the given and family names.
   */
  displayNameSet: boolean;
  /** Work (primary) e-mail address. */
  email: string;
  secondaryEmail: string | null;
  /** Sign-in name; the work address for most people, a separate login for a few. */
  username: string;
  /** null for someone HR has not given a title yet. */
  title: string | null;
  department: string;
  employeeNumber: string;
  costCenter: string;
  division: string;
  /** The manager's key, or null. */
  manager: string | null;
  status: "active" | "suspended" | "deactivated";
}

export interface OrgGroup {
  key: string;
  name: string;
  /** A mail-safe name (Google groups are addressed by e-mail). */
  slug: string;
  /** Direct member keys (people). */
  members: string[];
  /** Keys of groups nested directly inside this one; their people are members too. */
  subgroups: string[];
}

export interface Organization {
  domain: string;
  people: Person[];
  groups: OrgGroup[];
}

/** The canonical user every source must produce for a person (manager as a person key). */
export interface ExpectedUser {
  first_name: string;
  last_name: string;
  name: string;
  email: string;
  /** Sorted, lower-cased addresses. */
  emails: string[];
  username: string;
  state: "active" | "inactive";
  job_title: string | null;
  department: string;
  employee_number: string;
  cost_center: string;
  division: string;
  manager: string | null;
  /** Sorted group names. */
  groups: string[];
}

const GIVEN: [string, string | null][] = [
  ["Katherine", "Kate"], ["Jonas", null], ["Amélie", null], ["Luca", null], ["Mei", null], ["Omar", null], ["Priya", null],
  ["William", "Bill"], ["Chloé", null], ["Kwame", null], ["Yuki", null], ["Noah", null], ["Fatima", null], ["Diego", null],
  ["Ingrid", null], ["Robert", "Bob"], ["Elena", null], ["Hiro", null], ["Zanele", null], ["Elizabeth", "Liz"],
];
const FAMILY = ["Bishop", "Smith", "García", "Rossi", "Chen", "Haddad", "Iyer", "Berg", "Martin", "Mensah", "Sato", "Müller", "Khan", "López", "Olsen", "O'Neill", "Novak", "Dubois", "Okafor", "Silva"];
const DEPARTMENTS: [string, string][] = [
  ["Engineering", "Product"], ["Engineering", "Product"], ["Sales", "Go-to-market"], ["Marketing", "Go-to-market"], ["Finance", "G&A"], ["Legal", "G&A"],
];
const TITLES = ["Engineer", "Senior Engineer", "Account Executive", "Analyst", "Counsel", "Designer", "Specialist"];

/** mulberry32: small and deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ascii = (s: string) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z]/g, "").toLowerCase();

/**
 * `size` people (at least 12): p00 leads, p01..p04 manage, everyone else reports to one of them or
 * to nobody. A few are suspended or deactivated; deactivated people are in no group (IdPs differ in
 * whether a deactivated account keeps its groups, and that is not what this organization tests).
 */
export function generateOrganization(seed = 7, size = 36, domain = "acme.example"): Organization {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const people: Person[] = [];
  for (let i = 0; i < size; i++) {
    const [givenName, nick] = GIVEN[i % GIVEN.length]!;
    const familyName = FAMILY[(i * 7 + Math.floor(i / FAMILY.length)) % FAMILY.length]!;
    const local = `${ascii(givenName)}.${ascii(familyName)}${i}`;
    const [department, division] = i === 0 ? ["Executive", "G&A"] : pick(DEPARTMENTS);
    const status = i === 9 || i === 17 ? "suspended" : i === 23 || i === 31 ? "deactivated" : "active";
    people.push({
      key: `p${String(i).padStart(2, "0")}`,
      givenName,
      familyName,
      displayName: `${nick ?? givenName} ${familyName}`,
      displayNameSet: i !== size - 2,
      email: `${local}@${domain}`,
      secondaryEmail: i % 4 === 1 ? `${local}@home.example` : null,
      // A few people sign in with a short login rather than their address.
      username: i % 6 === 5 ? `${ascii(givenName)[0]}${ascii(familyName)}${i}@corp.${domain}` : `${local}@${domain}`,
      title: i === 0 ? "Chief Executive Officer" : i <= 4 ? `Head of ${department}` : i === size - 1 ? null : pick(TITLES),
      department,
      employeeNumber: `E${1000 + i}`,
      costCenter: `CC-${100 + (i % 5)}`,
      division,
      manager: i === 0 ? null : i <= 4 ? "p00" : i % 11 === 7 ? null : `p0${1 + Math.floor(rand() * 4)}`,
      status,
    });
  }

  const active = (p: Person) => p.status !== "deactivated";
  const members = (filter: (p: Person, i: number) => boolean) => people.filter((p, i) => active(p) && filter(p, i)).map((p) => p.key);
  const groups: OrgGroup[] = [
    { key: "g1", name: "Engineering", slug: "engineering", members: members((p) => p.department === "Engineering"), subgroups: [] },
    { key: "g2", name: "Sales & Marketing", slug: "sales-marketing", members: members((p) => p.division === "Go-to-market"), subgroups: [] },
    { key: "g3", name: "Managers", slug: "managers", members: members((p) => people.some((q) => q.manager === p.key)), subgroups: [] },
    { key: "g4", name: "VPN Users", slug: "vpn-users", members: members((_p, i) => i % 3 === 0), subgroups: [] },
    { key: "g5", name: "Équipe Paris", slug: "equipe-paris", members: members((_p, i) => i % 5 === 2), subgroups: [] },
    // Nobody yet: an empty group must still arrive.
    { key: "g6", name: "Contractors", slug: "contractors", members: [], subgroups: [] },
    // Managers nested inside, plus two people directly (p01 both ways).
    { key: "g7", name: "Leadership", slug: "leadership", members: ["p01", "p06"], subgroups: ["g3"] },
  ];
  return { domain, people, groups };
}

/** A group's people, directly or through nested groups, each once, in the organization's order. */
export function effectiveMembers(org: Organization, group: OrgGroup): string[] {
  const keys = new Set<string>();
  const walk = (g: OrgGroup, seen: Set<string>) => {
    for (const key of g.members) keys.add(key);
    for (const sub of g.subgroups) {
      if (seen.has(sub)) continue;
      seen.add(sub);
      walk(org.groups.find((x) => x.key === sub)!, seen);
    }
  };
  walk(group, new Set([group.key]));
  return org.people.filter((p) => keys.has(p.key)).map((p) => p.key);
}

export function expectedUser(org: Organization, person: Person): ExpectedUser {
  return {
    first_name: person.givenName,
    last_name: person.familyName,
    name: person.displayName,
    email: person.email,
    emails: [person.email, ...(person.secondaryEmail ? [person.secondaryEmail] : [])].map((e) => e.toLowerCase()).sort(),
    username: person.username,
    state: person.status === "active" ? "active" : "inactive",
    job_title: person.title,
    department: person.department,
    employee_number: person.employeeNumber,
    cost_center: person.costCenter,
    division: person.division,
    manager: person.manager,
    // Nested groups are flattened: the canonical model holds user memberships only.
    groups: org.groups.filter((g) => effectiveMembers(org, g).includes(person.key)).map((g) => g.name).sort(),
  };
}

export function personByKey(org: Organization, key: string): Person {
  const person = org.people.find((p) => p.key === key);
  if (!person) throw new Error(`no person ${key}`);
  return person;
}

/**
 * The organization after a round of everyday changes, made in every IdP the same way: a name change,
 * a new title and cost center, a title removed, a new manager, a second address added, someone
 * suspended and someone reinstated, a member added to and one removed from a group, and a group
 * that gains a member and a new name.
 */
export function changeOrganization(org: Organization): Organization {
  const next: Organization = structuredClone(org);
  const person = (key: string) => personByKey(next, key);
  const p05 = person("p05");
  p05.familyName = "Nakamura-Berg";
  p05.displayName = `${p05.displayName.split(" ")[0]} Nakamura-Berg`;
  Object.assign(person("p06"), { title: "Staff Engineer", costCenter: "CC-999" });
  person("p13").title = null;
  const p08 = person("p08");
  p08.manager = p08.manager === "p04" ? "p03" : "p04";
  person("p07").status = "suspended";
  person("p09").status = "active";
  person("p12").secondaryEmail = "p12.private@home.example";
  const group = (key: string) => next.groups.find((g) => g.key === key)!;
  const vpn = group("g4");
  vpn.members = [...vpn.members.filter((key) => key !== "p03"), "p13"];
  const contractors = group("g6");
  contractors.members.push("p14");
  contractors.name = "Contractors 2027";
  return next;
}

/** What changed between two versions of an organization (people are never added or removed here). */
export interface OrgDiff {
  people: { before: Person; after: Person; changed: (keyof Person)[] }[];
  groups: { before: OrgGroup; after: OrgGroup; added: string[]; removed: string[]; renamed: boolean }[];
}

export function diffOrganizations(before: Organization, after: Organization, members: (org: Organization, g: OrgGroup) => string[] = (_o, g) => g.members): OrgDiff {
  const people = after.people.flatMap((p) => {
    const old = personByKey(before, p.key);
    const changed = (Object.keys(p) as (keyof Person)[]).filter((k) => JSON.stringify(p[k]) !== JSON.stringify(old[k]));
    return changed.length ? [{ before: old, after: p, changed }] : [];
  });
  const groups = after.groups.flatMap((g) => {
    const old = before.groups.find((x) => x.key === g.key)!;
    const was = members(before, old);
    const now = members(after, g);
    const added = now.filter((k) => !was.includes(k));
    const removed = was.filter((k) => !now.includes(k));
    const renamed = old.name !== g.name;
    return added.length || removed.length || renamed ? [{ before: old, after: g, added, removed, renamed }] : [];
  });
  return { people, groups };
}
