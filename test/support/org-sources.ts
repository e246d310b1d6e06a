// Renders one generated organization (org-generator.ts) as each IdP really delivers it, into its own
// directory of one gateway: Okta's and Entra's SCIM request sequences, and seeded Graph, Google and
// Okta emulators pulled through the REST API. A loader returns the directory once it holds the
// organization; apply() then makes a later version's changes the way that IdP makes them (SCIM
// PUTs and PATCHes, or edits in the emulator followed by a sync). What the gateway made of it is
// read through the REST API.
import { randomUUID } from "node:crypto";
import { GraphEmulator } from "../emulators/graph/index.js";
import { generateServiceAccount, startGoogleEmulator, type GoogleUserSeed } from "../emulators/google/index.js";
import { OktaDirectory } from "../emulators/okta/directory.js";
import { startOktaEmulator } from "../emulators/okta/server.js";
import type { Harness } from "../harness.js";
import { ENTERPRISE, filterQuery, GROUP, PATCH_OP, scimDirectory, USER, type ScimDirectory } from "../scim/scim-client.js";
import { diffOrganizations, effectiveMembers, personByKey, type Organization, type Person } from "./org-generator.js";
import { postSync } from "./sync-run.js";

/** A directory that received the organization; close() stops its emulator and deletes it. */
export interface LoadedDirectory {
  directoryId: string;
  /** Brings the directory from `before` to `after` as the IdP would (and syncs, for pull sources). */
  apply(before: Organization, after: Organization): Promise<void>;
  close(): Promise<void>;
}

export interface OrgSource {
  name: string;
  load(h: Harness, org: Organization): Promise<LoadedDirectory>;
}

/** Okta's id for a person, as Okta SCIM sends it in externalId (and in manager.value via managerId). */
const oktaIdOf = (p: Person) => `00u${p.key}${"0".repeat(14 - p.key.length)}x7`;
/** Entra's default SCIM mapping sends mailNickname as externalId. */
const mailNickname = (p: Person) => p.email.split("@")[0]!;
const groupById = (org: Organization, key: string) => org.groups.find((g) => g.key === key)!;

async function expectScim(dir: ScimDirectory, method: string, path: string, body: unknown, status: number): Promise<any> {
  const res = await dir.call(method, path, body);
  if (res.status !== status) throw new Error(`${method} ${path} -> ${res.status} (expected ${status}): ${JSON.stringify(res.body)}`);
  return res.body;
}

// ---------------------------------------------------------------- Okta SCIM

/** A user as Okta's SCIM 2.0 integration sends it (POST, and PUT with the id). */
function oktaScimUser(org: Organization, p: Person, active: boolean): Record<string, unknown> {
  const manager = p.manager ? personByKey(org, p.manager) : null;
  return {
    schemas: [USER, ENTERPRISE],
    userName: p.username,
    name: { givenName: p.givenName, familyName: p.familyName },
    emails: [{ primary: true, value: p.email, type: "work" }, ...(p.secondaryEmail ? [{ primary: false, value: p.secondaryEmail, type: "other" }] : [])],
    ...(p.displayNameSet ? { displayName: p.displayName } : {}),
    ...(p.title ? { title: p.title } : {}),
    locale: "en-US",
    externalId: oktaIdOf(p),
    groups: [],
    password: "tL0ngEnough!pw",
    active,
    [ENTERPRISE]: {
      employeeNumber: p.employeeNumber,
      costCenter: p.costCenter,
      division: p.division,
      department: p.department,
      ...(manager ? { manager: { value: oktaIdOf(manager), displayName: manager.displayName } } : {}),
    },
  };
}

/**
 * Okta's SCIM 2.0 push: a userName lookup, then POST /Users with the enterprise extension (manager
 * as { value: managerId, displayName }); deactivation and profile changes are a PUT of the whole
 * user, as Okta's integrations send them; groups are pushed as POST /Groups carrying their members
 * and later changed with lower-case PATCH ops.
 */
export const oktaScim: OrgSource = {
  name: "Okta SCIM",
  async load(h, org) {
    const dir = await scimDirectory(h, "okta scim v2.0");
    const ids = new Map<string, string>();
    const groupIds = new Map<string, string>();
    for (const p of org.people) {
      const found = await expectScim(dir, "GET", `/Users${filterQuery(`userName eq "${p.username}"`, "&startIndex=1&count=100")}`, undefined, 200);
      if (found.totalResults !== 0) throw new Error(`${p.username} already exists`);
      ids.set(p.key, (await expectScim(dir, "POST", "/Users", oktaScimUser(org, p, true), 201)).id);
    }
    for (const p of org.people.filter((q) => q.status !== "active")) {
      const current = await expectScim(dir, "GET", `/Users/${ids.get(p.key)}`, undefined, 200);
      await expectScim(dir, "PUT", `/Users/${ids.get(p.key)}`, { ...current, active: false }, 200);
    }
    for (const g of org.groups) {
      const found = await expectScim(dir, "GET", `/Groups${filterQuery(`displayName eq "${g.name}"`, "&startIndex=1&count=100")}`, undefined, 200);
      if (found.totalResults !== 0) throw new Error(`${g.name} already exists`);
      const created = await expectScim(dir, "POST", "/Groups", {
        schemas: [GROUP],
        displayName: g.name,
        // Okta has no nested groups: its admin puts the people in the group itself.
        members: effectiveMembers(org, g).map((key) => ({ value: ids.get(key), display: personByKey(org, key).username })),
      }, 201);
      groupIds.set(g.key, created.id);
    }
    return {
      directoryId: dir.scope.directoryId,
      async apply(before, after) {
        const diff = diffOrganizations(before, after, effectiveMembers);
        for (const { after: p } of diff.people) {
          await expectScim(dir, "GET", `/Users/${ids.get(p.key)}`, undefined, 200);
          await expectScim(dir, "PUT", `/Users/${ids.get(p.key)}`, { ...oktaScimUser(after, p, p.status === "active"), id: ids.get(p.key) }, 200);
        }
        for (const g of diff.groups) {
          const id = groupIds.get(g.after.key)!;
          const operations: unknown[] = [];
          if (g.renamed) operations.push({ op: "replace", value: { id, displayName: g.after.name } });
          if (g.added.length) operations.push({ op: "add", path: "members", value: g.added.map((key) => ({ value: ids.get(key), display: personByKey(after, key).username })) });
          for (const key of g.removed) operations.push({ op: "remove", path: `members[value eq "${ids.get(key)}"]` });
          await expectScim(dir, "PATCH", `/Groups/${id}`, { schemas: [PATCH_OP], Operations: operations }, 204);
        }
      },
      close: () => deleteDirectory(h, dir.scope.directoryId),
    };
  },
};

// ---------------------------------------------------------------- Entra SCIM

/**
 * Microsoft Entra's provisioning service: a userName filter lookup before each create, POST /Users,
 * then PATCHes with capitalised ops and string booleans (manager as a bare reference to the SCIM id
 * it got for the manager, a second address through an emails[type eq "other"] path, active "False"
 * to disable); groups are created empty after a displayName lookup and filled with a PATCH. Entra
 * provisions a group's direct user members only; a nested group is not pushed.
 */
export const entraScim: OrgSource = {
  name: "Entra SCIM",
  async load(h, org) {
    const dir = await scimDirectory(h, "azure scim v2.0");
    const ids = new Map<string, string>();
    const groupIds = new Map<string, string>();
    for (const p of org.people) {
      const found = await expectScim(dir, "GET", `/Users${filterQuery(`userName eq "${p.username}"`)}`, undefined, 200);
      if (found.totalResults !== 0) throw new Error(`${p.username} already exists`);
      const created = await expectScim(dir, "POST", "/Users", {
        schemas: [USER, ENTERPRISE],
        externalId: mailNickname(p),
        userName: p.username,
        active: true,
        displayName: p.displayName,
        emails: [{ primary: true, type: "work", value: p.email }],
        meta: { resourceType: "User" },
        name: { formatted: `${p.givenName} ${p.familyName}`, familyName: p.familyName, givenName: p.givenName },
        ...(p.title ? { title: p.title } : {}),
        roles: [],
        [ENTERPRISE]: { department: p.department, employeeNumber: p.employeeNumber, costCenter: p.costCenter, division: p.division },
      }, 201);
      ids.set(p.key, created.id);
    }
    // References and further values come in a later cycle, once every target id is known.
    for (const p of org.people) {
      const operations: unknown[] = [];
      if (p.manager) operations.push({ op: "Add", path: `${ENTERPRISE}:manager`, value: ids.get(p.manager) });
      if (p.secondaryEmail) operations.push({ op: "Add", path: 'emails[type eq "other"].value', value: p.secondaryEmail });
      if (p.status !== "active") operations.push({ op: "Replace", path: "active", value: "False" });
      if (operations.length) await expectScim(dir, "PATCH", `/Users/${ids.get(p.key)}`, { schemas: [PATCH_OP], Operations: operations }, 200);
    }
    for (const g of org.groups) {
      const found = await expectScim(dir, "GET", `/Groups${filterQuery(`displayName eq "${g.name}"`, "&excludedAttributes=members")}`, undefined, 200);
      if (found.totalResults !== 0) throw new Error(`${g.name} already exists`);
      const created = await expectScim(dir, "POST", "/Groups", {
        schemas: [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        externalId: randomUUID(),
        displayName: g.name,
        meta: { resourceType: "Group" },
      }, 201);
      groupIds.set(g.key, created.id);
      if (g.members.length) {
        await expectScim(dir, "PATCH", `/Groups/${created.id}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: "Add", path: "members", value: g.members.map((key) => ({ $ref: null, value: ids.get(key) })) }],
        }, 204);
      }
    }
    return {
      directoryId: dir.scope.directoryId,
      async apply(before, after) {
        const diff = diffOrganizations(before, after);
        for (const { after: p, changed } of diff.people) {
          // One PATCH per user with an op for each changed attribute, as Entra sends an update cycle.
          const operations: unknown[] = [];
          const set = (path: string, value: unknown) => operations.push(value === null ? { op: "Remove", path } : { op: "Replace", path, value });
          for (const field of changed) {
            if (field === "familyName") set("name.familyName", p.familyName);
            else if (field === "displayName") set("displayName", p.displayName);
            else if (field === "title") set("title", p.title);
            else if (field === "costCenter") set(`${ENTERPRISE}:costCenter`, p.costCenter);
            else if (field === "manager") set(`${ENTERPRISE}:manager`, p.manager ? ids.get(p.manager)! : null);
            else if (field === "status") set("active", p.status === "active" ? "True" : "False");
            else if (field === "secondaryEmail") operations.push({ op: "Add", path: 'emails[type eq "other"].value', value: p.secondaryEmail });
            else throw new Error(`Entra SCIM renderer: no update for ${field}`);
          }
          await expectScim(dir, "PATCH", `/Users/${ids.get(p.key)}`, { schemas: [PATCH_OP], Operations: operations }, 200);
        }
        for (const g of diff.groups) {
          const id = groupIds.get(g.after.key)!;
          const operations: unknown[] = [];
          if (g.renamed) operations.push({ op: "Replace", path: "displayName", value: g.after.name });
          if (g.added.length) operations.push({ op: "Add", path: "members", value: g.added.map((key) => ({ value: ids.get(key) })) });
          if (g.removed.length) operations.push({ op: "Remove", path: "members", value: g.removed.map((key) => ({ value: ids.get(key) })) });
          await expectScim(dir, "PATCH", `/Groups/${id}`, { schemas: [PATCH_OP], Operations: operations }, 204);
        }
      },
      close: () => deleteDirectory(h, dir.scope.directoryId),
    };
  },
};

// ---------------------------------------------------------------- Entra Graph (pull)

/** A person's Graph user properties (the manager is a relationship, set apart). */
function graphUser(p: Person): Record<string, unknown> {
  return {
    userPrincipalName: p.username,
    mail: p.email,
    givenName: p.givenName,
    surname: p.familyName,
    // Entra requires a display name and fills it from the given and family names.
    displayName: p.displayName,
    accountEnabled: p.status === "active",
    jobTitle: p.title,
    department: p.department,
    employeeId: p.employeeNumber,
    employeeOrgData: { costCenter: p.costCenter, division: p.division },
    otherMails: p.secondaryEmail ? [p.secondaryEmail] : [],
  };
}

/**
 * The organization as Entra stores it (Graph property names and relationships: manager, nested
 * groups), pulled by an "azure graph" directory. `incremental`: the directory first syncs an empty
 * tenant, then the organization is created there (journaled, as real edits are) and arrives through
 * the saved delta links. Later changes always arrive through delta.
 */
function entraGraphSource(name: string, incremental: boolean): OrgSource {
  return {
    name,
    async load(h, org) {
      const emulator = new GraphEmulator({ deltaPageSize: 10, deltaLinkCap: 8 });
      const url = await emulator.listen();
      const directoryId = await createPullDirectory(
        h,
        "azure graph",
        { tenant_id: emulator.tenantId, client_id: emulator.clientId, client_secret: emulator.clientSecret },
        { graph_endpoint: url, login_authority: url },
      );
      if (incremental) await syncNow(h, directoryId);
      const tenant = emulator.tenant;
      const ids = new Map<string, string>();
      for (const p of org.people) ids.set(p.key, tenant.newUser(graphUser(p), incremental).id);
      for (const p of org.people) if (p.manager) tenant.setManager(ids.get(p.key)!, ids.get(p.manager)!, incremental);
      // Nested groups are real in Entra: a group is a member of another (org.groups lists inner ones first).
      const groupIds = new Map<string, string>();
      for (const g of org.groups) {
        const members = [...g.members.map((key) => ids.get(key)!), ...g.subgroups.map((key) => groupIds.get(key)!)];
        groupIds.set(g.key, tenant.newGroup({ displayName: g.name }, members, incremental).id);
      }
      const run = await syncNow(h, directoryId, incremental ? "" : "?full=true");
      // The nested group makes the delta run start over as a full one (the flattening needs it); the
      // users its delta round had already written must then be exactly what the full round reads.
      if (incremental && !(run.kind === "full" && /nested group/.test(run.errors[0]?.message) && run.counts.users.updated === 0 && run.counts.users.created === 0)) {
        throw new Error(`delta run did not apply the users as a full run reads them: ${JSON.stringify(run)}`);
      }
      return {
        directoryId,
        async apply(before, after) {
          const diff = diffOrganizations(before, after);
          for (const { after: p, changed } of diff.people) {
            if (changed.some((f) => f !== "manager")) tenant.updateUser(ids.get(p.key)!, graphUser(p));
            if (changed.includes("manager")) tenant.setManager(ids.get(p.key)!, p.manager ? ids.get(p.manager)! : null);
          }
          for (const g of diff.groups) {
            const id = groupIds.get(g.after.key)!;
            if (g.renamed) tenant.updateGroup(id, { displayName: g.after.name });
            for (const key of g.added) tenant.addMember(id, ids.get(key)!);
            for (const key of g.removed) tenant.removeMember(id, ids.get(key)!);
          }
          const changes = await syncNow(h, directoryId, "");
          if (changes.kind !== "incremental") throw new Error(`expected the changes to arrive by delta, got a ${changes.kind} run`);
        },
        close: async () => (await deleteDirectory(h, directoryId), await emulator.close()),
      };
    },
  };
}

export const entraGraph = entraGraphSource("Entra Graph", false);
export const entraGraphDelta = entraGraphSource("Entra Graph (delta)", true);

// ---------------------------------------------------------------- Google Workspace (pull)

/** A person's Google user fields (p00 is the admin the service account acts for). */
function googleUser(org: Organization, p: Person): GoogleUserSeed {
  return {
    primaryEmail: p.email,
    name: { givenName: p.givenName, familyName: p.familyName, ...(p.displayNameSet ? { displayName: p.displayName } : {}) },
    isAdmin: p.key === org.people[0]!.key,
    suspended: p.status === "suspended",
    ...(p.status === "suspended" ? { suspensionReason: "ADMIN" } : {}),
    archived: p.status === "deactivated",
    emails: [{ address: p.email, primary: true }, ...(p.secondaryEmail ? [{ address: p.secondaryEmail, type: "home" }] : [])],
    organizations: [{ ...(p.title ? { title: p.title } : {}), department: p.department, costCenter: p.costCenter, primary: true, customType: "" }],
    externalIds: [{ value: p.employeeNumber, type: "organization" }],
    relations: p.manager ? [{ value: personByKey(org, p.manager).email, type: "manager" }] : [],
  };
}

/**
 * The organization as Google Workspace stores it: job data in organizations[], the employee number
 * as an externalId of type organization, the manager as a relation holding the manager's address;
 * suspended people are suspended, deactivated ones archived. Google has no delta: every run is full.
 */
export const googleWorkspace: OrgSource = {
  name: "Google Workspace",
  async load(h, org) {
    const account = generateServiceAccount();
    const users: GoogleUserSeed[] = org.people.map((p) => googleUser(org, p));
    const groupEmail = (key: string) => `${groupById(org, key).slug}@${org.domain}`;
    const google = await startGoogleEmulator({
      domains: [org.domain],
      serviceAccount: { email: account.key.client_email, publicKeyPem: account.publicKeyPem },
      seed: {
        users,
        groups: org.groups.map((g) => ({
          email: groupEmail(g.key),
          name: g.name,
          members: [...g.members.map((key) => ({ userKey: personByKey(org, key).email })), ...g.subgroups.map((key) => ({ groupKey: groupEmail(key) }))],
        })),
      },
    });
    const directoryId = await createPullDirectory(
      h,
      "gsuite directory",
      { service_account_key: JSON.stringify(account.key), admin_email: org.people[0]!.email },
      { api_root: google.url, token_url: google.tokenUrl },
    );
    await syncNow(h, directoryId);
    const dir = google.control.dir;
    return {
      directoryId,
      async apply(before, after) {
        const diff = diffOrganizations(before, after);
        for (const { after: p, changed } of diff.people) {
          // Reinstating clears the suspension reason, as the Admin console does.
          if (changed.includes("status") && p.status === "active") dir.unsuspendUser(p.email);
          dir.updateUser(p.email, googleUser(after, p));
        }
        for (const g of diff.groups) {
          const key = groupEmail(g.after.key);
          if (g.renamed) dir.updateGroup(key, { name: g.after.name });
          for (const member of g.added) dir.addMember(key, { userKey: personByKey(after, member).email });
          for (const member of g.removed) dir.removeMember(key, personByKey(after, member).email);
        }
        await syncNow(h, directoryId);
      },
      close: async () => (await deleteDirectory(h, directoryId), await google.close()),
    };
  },
};

// ---------------------------------------------------------------- Okta Management API (pull)

/** A person's Okta profile (managerId names the manager's Okta id, as HR imports often set it). */
function oktaProfile(org: Organization, p: Person, ids: Map<string, string>): Record<string, unknown> {
  return {
    login: p.username,
    email: p.email,
    secondEmail: p.secondaryEmail,
    firstName: p.givenName,
    lastName: p.familyName,
    displayName: p.displayNameSet ? p.displayName : null,
    title: p.title,
    department: p.department,
    employeeNumber: p.employeeNumber,
    costCenter: p.costCenter,
    division: p.division,
    managerId: p.manager ? (ids.get(p.manager) ?? null) : null,
    manager: p.manager ? personByKey(org, p.manager).displayName : null,
  };
}

const OKTA_STATUS = { active: "ACTIVE", suspended: "SUSPENDED", deactivated: "DEPROVISIONED" } as const;

/**
 * The organization as an Okta org holds it: profile attributes, no nested groups (the admin adds the
 * people themselves). `incremental`: the directory first syncs an empty org, then the organization
 * is created there and arrives through the lastUpdated filters and the System Log. Later changes
 * always arrive incrementally.
 */
function oktaApiSource(name: string, incremental: boolean): OrgSource {
  return {
    name,
    async load(h, org) {
      const directory = new OktaDirectory();
      // The connector's cursor comes from the real clock; the emulator's org lives on it too.
      directory.now = Date.now() - 60 * 60_000;
      const token = directory.addApiToken();
      const okta = await startOktaEmulator({ directory });
      const directoryId = await createPullDirectory(h, "okta api", { org_url: okta.url, api_token: token });
      // Edits made after a run: its cursor looks back five minutes.
      const later = () => void (directory.now = Date.now());
      if (incremental) {
        await syncNow(h, directoryId);
        later();
      }
      const ids = new Map<string, string>();
      // Managers' ids exist once everyone is created: the profile is completed in a second pass.
      for (const p of org.people) ids.set(p.key, directory.createUser(oktaProfile(org, { ...p, manager: null }, ids)).id);
      for (const p of org.people) {
        if (p.manager) directory.updateProfile(ids.get(p.key)!, oktaProfile(org, p, ids));
        if (p.status !== "active") directory.setStatus(ids.get(p.key)!, OKTA_STATUS[p.status]);
      }
      const groupIds = new Map<string, string>();
      for (const g of org.groups) {
        const group = directory.createGroup({ name: g.name, description: `${g.name} (generated)` });
        groupIds.set(g.key, group.id);
        for (const key of effectiveMembers(org, g)) directory.addMember(group.id, ids.get(key)!);
      }
      const run = await syncNow(h, directoryId, incremental ? "" : "?full=true");
      if (run.kind !== (incremental ? "incremental" : "full")) throw new Error(`expected a ${incremental ? "incremental" : "full"} run, got ${run.kind}`);
      return {
        directoryId,
        async apply(before, after) {
          later();
          const diff = diffOrganizations(before, after, effectiveMembers);
          for (const { after: p, changed } of diff.people) {
            if (changed.some((f) => f !== "status")) directory.updateProfile(ids.get(p.key)!, oktaProfile(after, p, ids));
            if (changed.includes("status")) directory.setStatus(ids.get(p.key)!, OKTA_STATUS[p.status]);
          }
          for (const g of diff.groups) {
            const id = groupIds.get(g.after.key)!;
            if (g.renamed) directory.renameGroup(id, g.after.name);
            for (const key of g.added) directory.addMember(id, ids.get(key)!);
            for (const key of g.removed) directory.removeMember(id, ids.get(key)!);
          }
          const changes = await syncNow(h, directoryId, "");
          if (changes.kind !== "incremental") throw new Error(`expected the changes to arrive incrementally, got a ${changes.kind} run`);
        },
        close: async () => (await deleteDirectory(h, directoryId), await okta.close()),
      };
    },
  };
}

export const oktaApi = oktaApiSource("Okta API", false);
export const oktaApiIncremental = oktaApiSource("Okta API (incremental)", true);

export const ALL_SOURCES: OrgSource[] = [oktaScim, entraScim, entraGraph, entraGraphDelta, googleWorkspace, oktaApi, oktaApiIncremental];

// ---------------------------------------------------------------- REST helpers

async function createPullDirectory(h: Harness, type: string, credentials: unknown, settings?: unknown): Promise<string> {
  const org = await h.json("POST", "/organizations", { name: `${type} equivalence` });
  const res = await h.request("POST", "/directories", { organization_id: org.id, type, name: type, credentials, ...(settings ? { settings } : {}) });
  const body: any = await res.json();
  if (res.status !== 201 || body.state !== "linked") throw new Error(`creating ${type} -> ${res.status}: ${JSON.stringify(body)}`);
  return body.id;
}

/** Runs a sync through the REST API and waits for it; anything but success is an error. */
export async function syncNow(h: Harness, directoryId: string, query = "?full=true"): Promise<any> {
  const run = await postSync(h, directoryId, query);
  if (run.status !== "succeeded") throw new Error(`sync run ${run.id} ${run.status}: ${JSON.stringify(run.errors)}`);
  return run;
}

async function deleteDirectory(h: Harness, directoryId: string): Promise<void> {
  await h.request("DELETE", `/directories/${directoryId}`);
}
