// Each provider preset against a payload shaped as that provider's public documentation shows it.
import { describe, expect, it } from "vitest";
import { CanonicalUser, DirectoryType } from "../model/index.js";
import { GroupMapping, mergeMapping, normalizeGroupRecord, normalizeUserRecord, UserMapping } from "./mapping.js";
import { ENTERPRISE_USER_SCHEMA as ENTERPRISE, PRESETS, presetFor } from "./presets.js";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";

/** RFC 7643 §8.2 / §8.3: the full and enterprise user representations (Babs Jensen). */
const rfcUser = {
  schemas: [CORE, ENTERPRISE],
  id: "2819c223-7f76-453a-919d-413861904646",
  externalId: "701984",
  userName: "bjensen@example.com",
  name: { formatted: "Ms. Barbara J Jensen, III", familyName: "Jensen", givenName: "Barbara", middleName: "Jane", honorificPrefix: "Ms.", honorificSuffix: "III" },
  displayName: "Babs Jensen",
  nickName: "Babs",
  profileUrl: "https://login.example.com/bjensen",
  emails: [
    { value: "bjensen@example.com", type: "work", primary: true },
    { value: "babs@jensen.org", type: "home" },
  ],
  phoneNumbers: [{ value: "555-555-5555", type: "work" }],
  userType: "Employee",
  title: "Tour Guide",
  preferredLanguage: "en-US",
  locale: "en-US",
  timezone: "America/Los_Angeles",
  active: true,
  [ENTERPRISE]: {
    employeeNumber: "701984",
    costCenter: "4130",
    organization: "Universal Studios",
    division: "Theme Park",
    department: "Tour Operations",
    manager: { value: "26118915-6090-4610-87e4-49d8ca9f808d", $ref: "../Users/26118915-6090-4610-87e4-49d8ca9f808d", displayName: "John Smith" },
  },
};

const rfcExpected = {
  first_name: "Barbara",
  last_name: "Jensen",
  name: "Babs Jensen",
  email: "bjensen@example.com",
  emails: [
    { value: "bjensen@example.com", type: "work", primary: true },
    { value: "babs@jensen.org", type: "home", primary: false },
  ],
  username: "bjensen@example.com",
  job_title: "Tour Guide",
  state: "active",
  custom_attributes: {
    department: "Tour Operations",
    employee_number: "701984",
    cost_center: "4130",
    division: "Theme Park",
    organization: "Universal Studios",
    manager_id: "26118915-6090-4610-87e4-49d8ca9f808d",
    employee_type: "Employee",
  },
};

interface Case {
  provider: string;
  type: DirectoryType;
  payload: Record<string, unknown>;
  expected: Record<string, unknown>;
}

const cases: Case[] = [
  {
    // learn.microsoft.com, "Tutorial: Develop and plan provisioning for a SCIM endpoint" (Create User), with
    // the enterprise attributes Entra's default mapping sends (employeeId, department, manager by id).
    provider: "Entra ID SCIM",
    type: "azure scim v2.0",
    payload: {
      schemas: [CORE, ENTERPRISE],
      externalId: "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
      userName: "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
      active: true,
      emails: [{ primary: true, type: "work", value: "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com" }],
      meta: { resourceType: "User" },
      name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
      roles: [],
      title: "Program Manager",
      [ENTERPRISE]: { employeeNumber: "E-1", department: "R&D", manager: "7b4bd1a5-3b9e-4ad4-b6dc-0e49b7f8f5a9" },
    },
    expected: {
      first_name: "givenName",
      last_name: "familyName",
      name: "givenName familyName",
      email: "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com",
      username: "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
      job_title: "Program Manager",
      state: "active",
      custom_attributes: { employee_number: "E-1", department: "R&D", manager_id: "7b4bd1a5-3b9e-4ad4-b6dc-0e49b7f8f5a9" },
    },
  },
  {
    // Entra deactivates with PATCH Replace active "False" (a string); the stored resource may carry it.
    provider: "Entra ID SCIM (deactivated, work address not primary)",
    type: "azure scim v2.0",
    payload: { userName: "adele@contoso.com", active: "False", emails: [{ type: "other", value: "adele@home.example" }, { type: "work", value: "AdeleV@contoso.com" }] },
    expected: { state: "inactive", email: "AdeleV@contoso.com" },
  },
  {
    // developer.okta.com, "SCIM 2.0 protocol reference": Create the user.
    provider: "Okta SCIM",
    type: "okta scim v2.0",
    payload: {
      schemas: [CORE],
      userName: "test.user@okta.local",
      name: { givenName: "Test", familyName: "User" },
      emails: [{ primary: true, value: "test.user@okta.local", type: "work" }],
      displayName: "Test User",
      locale: "en-US",
      externalId: "00ujl29u0le5T6Aj10h7",
      groups: [],
      active: true,
    },
    expected: {
      first_name: "Test",
      last_name: "User",
      name: "Test User",
      email: "test.user@okta.local",
      emails: [{ primary: true, value: "test.user@okta.local", type: "work" }],
      username: "test.user@okta.local",
      state: "active",
      custom_attributes: {},
    },
  },
  {
    // Okta apps with only the base profile send no emails: the userName is the address.
    provider: "Okta SCIM (no emails)",
    type: "okta scim v2.0",
    payload: { schemas: [CORE], userName: "jane@okta.local", name: { givenName: "Jane", familyName: "Doe" }, active: false },
    expected: { email: "jane@okta.local", emails: [], state: "inactive", name: null },
  },
  {
    // OneLogin "SCIM Provisioner with SAML (SCIM v2 Enterprise)": its default SCIM JSON template, rendered
    // (emails carry no type; company goes to the enterprise organization).
    provider: "OneLogin SCIM",
    type: "onelogin scim v2.0",
    payload: {
      schemas: [CORE, ENTERPRISE],
      userName: "katie.smith@example.com",
      name: { givenName: "Katie", familyName: "Smith" },
      emails: [{ value: "katie.smith@example.com", primary: true }],
      title: "Account Executive",
      [ENTERPRISE]: { department: "Sales", organization: "Example Inc", employeeNumber: "1207" },
    },
    expected: {
      first_name: "Katie",
      last_name: "Smith",
      name: null,
      email: "katie.smith@example.com",
      emails: [{ value: "katie.smith@example.com", type: null, primary: true }],
      job_title: "Account Executive",
      state: "active",
      custom_attributes: { department: "Sales", organization: "Example Inc", employee_number: "1207" },
    },
  },
  {
    // JumpCloud "SCIM Integration attributes": company, costCenter, department, division, employeeIdentifier,
    // employeeType and manager go to the enterprise extension and userType.
    provider: "JumpCloud SCIM",
    type: "jump cloud scim v2.0",
    payload: {
      schemas: [CORE, ENTERPRISE],
      userName: "jdoe@example.com",
      name: { givenName: "John", familyName: "Doe", formatted: "John Doe" },
      displayName: "John Doe",
      emails: [{ value: "jdoe@example.com", type: "work", primary: true }],
      title: "Engineer",
      userType: "Full-Time",
      active: true,
      addresses: [{ type: "work", locality: "Boulder", region: "CO", country: "US" }],
      [ENTERPRISE]: { employeeNumber: "1234", costCenter: "CC-1", organization: "Example Corp", division: "R&D", department: "Engineering", manager: { value: "5f1b0c8e2d9a4b3c7e6f5a4b" } },
    },
    expected: {
      name: "John Doe",
      job_title: "Engineer",
      custom_attributes: { employee_number: "1234", cost_center: "CC-1", organization: "Example Corp", division: "R&D", department: "Engineering", manager_id: "5f1b0c8e2d9a4b3c7e6f5a4b", employee_type: "Full-Time" },
    },
  },
  {
    // Google Workspace auto-provisioning to a SCIM app: primary e-mail as userName, the work address.
    provider: "Google Workspace SCIM",
    type: "google scim v2.0",
    payload: { schemas: [CORE], userName: "liz@example.com", name: { givenName: "Elizabeth", familyName: "Smith" }, emails: [{ value: "liz@example.com", type: "work", primary: true }], active: true },
    expected: { first_name: "Elizabeth", last_name: "Smith", email: "liz@example.com", username: "liz@example.com", state: "active" },
  },
  {
    // Rippling's SCIM push: work e-mail as userName, title, enterprise employeeNumber, department and manager.
    provider: "Rippling SCIM",
    type: "rippling scim v2.0",
    payload: {
      schemas: [CORE, ENTERPRISE],
      userName: "ana.lima@example.com",
      name: { givenName: "Ana", familyName: "Lima" },
      displayName: "Ana Lima",
      emails: [{ value: "ana.lima@example.com", type: "work", primary: true }],
      title: "Controller",
      active: true,
      [ENTERPRISE]: { employeeNumber: "88", department: "Finance", manager: { value: "rp-0042", displayName: "Rui Costa" } },
    },
    expected: { name: "Ana Lima", job_title: "Controller", custom_attributes: { employee_number: "88", department: "Finance", manager_id: "rp-0042" } },
  },
  {
    // PingFederate's SCIM outbound connector maps LDAP attributes; its emails carry a type but no primary flag.
    provider: "PingFederate SCIM",
    type: "pingfederate scim v2.0",
    payload: { schemas: [CORE], userName: "mwhite", externalId: "uid=mwhite,ou=people", name: { givenName: "Maya", familyName: "White" }, emails: [{ value: "maya.white@example.com", type: "work" }], active: true },
    expected: { username: "mwhite", email: "maya.white@example.com", emails: [{ value: "maya.white@example.com", type: "work", primary: false }] },
  },
  {
    provider: "generic SCIM (padded address, no primary flag)",
    type: "generic scim v2.0",
    payload: { userName: "pat", emails: [{ value: " pat@example.com ", type: "work" }] },
    expected: { email: "pat@example.com", emails: [{ value: "pat@example.com", type: "work", primary: false }] },
  },
  { provider: "generic SCIM (RFC 7643 §8.2/8.3)", type: "generic scim v2.0", payload: rfcUser, expected: rfcExpected },
  { provider: "PingFederate SCIM (RFC 7643 user)", type: "pingfederate scim v2.0", payload: rfcUser, expected: rfcExpected },
  {
    // learn.microsoft.com Graph "user resource type" / "Get user" (Adele Vance), with the v1.0 properties the
    // connector selects.
    provider: "Microsoft Graph",
    type: "azure graph",
    payload: {
      id: "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
      businessPhones: ["+1 425 555 0109"],
      displayName: "Adele Vance",
      givenName: "Adele",
      jobTitle: "Retail Manager",
      mail: "AdeleV@contoso.com",
      mobilePhone: "+1 425 555 0109",
      officeLocation: "18/2111",
      preferredLanguage: "en-US",
      surname: "Vance",
      userPrincipalName: "AdeleV@contoso.com",
      accountEnabled: true,
      department: "Retail",
      companyName: "Contoso",
      employeeId: "E1042",
      employeeType: "Employee",
      employeeOrgData: { costCenter: "CC-4711", division: "Retail West" },
      otherMails: ["adele@home.example"],
      userType: "Member",
    },
    expected: {
      first_name: "Adele",
      last_name: "Vance",
      name: "Adele Vance",
      email: "AdeleV@contoso.com",
      emails: [
        { primary: true, type: "work", value: "AdeleV@contoso.com" },
        { primary: false, type: "other", value: "adele@home.example" },
      ],
      username: "AdeleV@contoso.com",
      job_title: "Retail Manager",
      state: "active",
      custom_attributes: {
        department: "Retail",
        employee_number: "E1042",
        employee_type: "Employee",
        cost_center: "CC-4711",
        division: "Retail West",
        organization: "Contoso",
        office_location: "18/2111",
        user_type: "Member",
      },
    },
  },
  {
    provider: "Microsoft Graph (blocked sign-in, no mailbox)",
    type: "azure graph",
    payload: { id: "u2", userPrincipalName: "svc-build@contoso.onmicrosoft.com", mail: null, accountEnabled: false, displayName: "Build" },
    expected: { email: "svc-build@contoso.onmicrosoft.com", state: "inactive", first_name: null },
  },
  {
    // developer.okta.com Users API: the user object (profile, status, _links).
    provider: "Okta API",
    type: "okta api",
    payload: {
      id: "00ub0oNGTSWTBKOLGLNR",
      status: "ACTIVE",
      created: "2013-06-24T16:39:18.000Z",
      activated: "2013-06-24T16:39:19.000Z",
      lastUpdated: "2013-06-27T16:35:28.000Z",
      profile: {
        firstName: "Isaac",
        lastName: "Brock",
        email: "isaac.brock@example.com",
        login: "isaac.brock@example.com",
        mobilePhone: "555-415-1337",
        secondEmail: "isaac@brock.example",
        title: "Director",
        department: "Engineering",
        employeeNumber: "E-77",
        costCenter: "CC-9",
        division: "Platform",
        organization: "Example",
        managerId: "00u0manager",
        manager: "Jane Boss",
        userType: "Employee",
      },
      credentials: { provider: { type: "OKTA", name: "OKTA" } },
      _links: { self: { href: "https://example.okta.com/api/v1/users/00ub0oNGTSWTBKOLGLNR" } },
    },
    expected: {
      first_name: "Isaac",
      last_name: "Brock",
      email: "isaac.brock@example.com",
      emails: [
        { primary: true, type: "work", value: "isaac.brock@example.com" },
        { primary: false, type: "other", value: "isaac@brock.example" },
      ],
      username: "isaac.brock@example.com",
      job_title: "Director",
      state: "active",
      custom_attributes: {
        department: "Engineering",
        employee_number: "E-77",
        cost_center: "CC-9",
        division: "Platform",
        organization: "Example",
        manager_id: "00u0manager",
        manager: "Jane Boss",
        employee_type: "Employee",
      },
    },
  },
  { provider: "Okta API (suspended)", type: "okta api", payload: { id: "x", status: "SUSPENDED", profile: { login: "a@example.com" } }, expected: { state: "inactive", email: "a@example.com" } },
  {
    // developers.google.com Admin SDK Directory API: the users resource (projection=full).
    provider: "Google Admin SDK",
    type: "gsuite directory",
    payload: {
      kind: "admin#directory#user",
      id: "107214311125738512345",
      primaryEmail: "liz@example.com",
      name: { givenName: "Elizabeth", familyName: "Smith", fullName: "Elizabeth Smith" },
      isAdmin: false,
      suspended: false,
      archived: false,
      emails: [{ address: "liz@example.com", primary: true }, { address: "liz@example.net", type: "home" }, { address: "e.smith@example.com", type: "custom", customType: "alias" }],
      organizations: [
        { name: "Example Inc", title: "Intern", department: "Ops" },
        { name: "Example Inc", title: "Sales Lead", primary: true, department: "Sales", costCenter: "CC-20", description: "Full time" },
      ],
      externalIds: [{ value: "B-7", type: "custom", customType: "badge" }, { value: "E-1001", type: "organization" }],
      relations: [{ value: "boss@example.com", type: "manager" }],
      orgUnitPath: "/Sales",
    },
    expected: {
      first_name: "Elizabeth",
      last_name: "Smith",
      name: "Elizabeth Smith",
      email: "liz@example.com",
      emails: [
        { primary: true, type: "work", value: "liz@example.com" },
        { primary: false, type: "home", value: "liz@example.net" },
        { primary: false, type: "alias", value: "e.smith@example.com" },
      ],
      username: "liz@example.com",
      job_title: "Sales Lead",
      state: "active",
      custom_attributes: { department: "Sales", cost_center: "CC-20", employee_number: "E-1001", manager_email: "boss@example.com", org_unit_path: "/Sales" },
    },
  },
  { provider: "Google Admin SDK (archived)", type: "gsuite directory", payload: { id: "g2", primaryEmail: "old@example.com", archived: true }, expected: { state: "inactive" } },
];

describe("provider presets", () => {
  it.each(DirectoryType.options)("%s has a preset that is a valid mapping", (type) => {
    const preset = PRESETS[type];
    expect(UserMapping.parse(preset.user)).toEqual(preset.user);
    expect(GroupMapping.parse(preset.group)).toEqual(preset.group);
    expect(preset.user.fields.username?.required).toBe(true);
  });

  it.each(cases)("$provider ($type)", ({ type, payload, expected }) => {
    const user = normalizeUserRecord(PRESETS[type].user, payload, "idp-1");
    const parsed = CanonicalUser.parse(user);
    expect(parsed).toMatchObject({ ...expected, idp_id: "idp-1", raw_attributes: payload });
    if (expected.custom_attributes && Object.keys(expected.custom_attributes).length > 0) expect(parsed.custom_attributes).toEqual(expected.custom_attributes);
  });

  it("every SCIM preset reads the RFC 7643 user the same way", () => {
    for (const type of DirectoryType.options.filter((t) => t.endsWith("scim v2.0"))) {
      expect(normalizeUserRecord(PRESETS[type].user, rfcUser, "x"), type).toMatchObject(rfcExpected);
    }
  });

  it.each([
    ["okta api", { id: "00g1", profile: { name: "Engineering", description: "Eng" } }, "Engineering"],
    ["gsuite directory", { id: "g1", name: "", email: "eng@example.com" }, "eng@example.com"],
    ["azure graph", { id: "g1", displayName: "VPN Users", "members@delta": [{ id: "u1" }] }, "VPN Users"],
    ["okta api", { id: "00g2", profile: {} }, "00g2"],
  ] as const)("names a %s group", (type, raw, name) => {
    const group = normalizeGroupRecord(presetFor(type).group, raw as Record<string, unknown>, raw.id);
    expect(group.name).toBe(name);
    expect(group.raw_attributes).not.toHaveProperty("members@delta");
  });

  // A full scan compares what it reads with what is stored: vendor bookkeeping that moves on every sign-in
  // or membership change would otherwise turn each scan into a wave of updated events.
  it.each([
    ["okta api", { id: "00u1", status: "ACTIVE", lastLogin: "2026-11-01T08:00:00.000Z", profile: { login: "a@example.com" } }, { lastLogin: "2026-11-29T09:00:00.000Z" }],
    ["gsuite directory", { id: "1", primaryEmail: "a@example.com", etag: '"e1"', lastLoginTime: "2026-11-01T08:00:00.000Z" }, { etag: '"e2"', lastLoginTime: "2026-11-29T09:00:00.000Z" }],
  ] as const)("a %s user who only signed in normalizes the same", (type, raw, signedIn) => {
    const before = normalizeUserRecord(PRESETS[type].user, raw, "idp-1");
    expect(normalizeUserRecord(PRESETS[type].user, { ...raw, ...signedIn }, "idp-1")).toEqual(before);
    for (const key of Object.keys(signedIn)) expect(before.raw_attributes).not.toHaveProperty(key);
    expect(before.raw_attributes).toHaveProperty("id", raw.id);
  });

  it.each([
    ["okta api", { id: "00g1", profile: { name: "Eng" }, lastUpdated: "2026-11-01T08:00:00.000Z", lastMembershipUpdated: "2026-11-01T08:00:00.000Z" }, { lastMembershipUpdated: "2026-11-29T09:00:00.000Z" }],
    ["gsuite directory", { id: "g1", name: "Eng", email: "eng@example.com", etag: '"g1"', directMembersCount: "3" }, { etag: '"g2"', directMembersCount: "4" }],
  ] as const)("a %s group whose members changed normalizes the same", (type, raw, membersChanged) => {
    const before = normalizeGroupRecord(PRESETS[type].group, raw, raw.id);
    expect(normalizeGroupRecord(PRESETS[type].group, { ...raw, ...membersChanged }, raw.id)).toEqual(before);
    expect(before.raw_attributes).toHaveProperty("name" in raw ? "name" : "profile");
  });

  it("a directory's mapping override keeps the preset's omitted keys", () => {
    const merged = mergeMapping(PRESETS["okta api"].user, { fields: { job_title: { sources: [{ path: "profile.department" }] } } });
    expect(merged.omit_raw).toEqual(["lastLogin"]);
  });
});
