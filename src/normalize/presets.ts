// One preset per directory type, as data: which attributes of that provider's records feed each
// canonical field, state, emails[] and the common custom attributes. A directory's own overrides
// (mapping.ts, MappingOverride) are merged on top. Paths follow each provider's documented payloads:
// RFC 7643 core + enterprise extension for SCIM pushers, Graph / Okta / Admin SDK records for pulls.
import type { DirectoryType } from "../model/index.js";
import { mergeMapping, type FieldMapping, type GroupMapping, type MappingOverride, type Preset, type UserMapping } from "./mapping.js";

export const ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const enterprise = (attribute: string) => `${ENTERPRISE_USER_SCHEMA}:${attribute}`;

/** A field read from the first of `paths` that holds a value. */
const from = (...paths: string[]): FieldMapping => ({ sources: paths.map((path) => ({ path })) });
const required = (field: FieldMapping): FieldMapping => ({ ...field, required: true });
const reference = (...paths: string[]): FieldMapping => ({ ...from(...paths), kind: "reference" });

/** RFC 7643 core User plus the enterprise extension: what every SCIM pusher sends. */
const SCIM_USER: UserMapping = {
  fields: {
    first_name: from("name.givenName"),
    last_name: from("name.familyName"),
    name: from("displayName", "name.formatted"),
    // The primary address, else the first; IdPs with a minimal profile send none, and their userName
    // is then usually the address (it counts only when it is one).
    email: {
      sources: [
        { path: "emails[primary eq true].value", transforms: [{ type: "trim" }] },
        { path: "emails.value", transforms: [{ type: "trim" }] },
        { path: "userName", transforms: [{ type: "trim" }, { type: "email" }] },
      ],
    },
    username: required(from("userName")),
    job_title: from("title"),
  },
  // Entra sends active as the string "False" in PATCH values; booleanOf reads both.
  state: { sources: [{ path: "active" }], inactive_values: [false] },
  emails: { sources: [{ path: "emails" }] },
  custom_attributes: {
    department: from(enterprise("department")),
    employee_number: from(enterprise("employeeNumber")),
    cost_center: from(enterprise("costCenter")),
    division: from(enterprise("division")),
    organization: from(enterprise("organization")),
    // manager is { value: "<manager id>", displayName?, $ref? }; Entra sends the id alone in PATCH.
    manager_id: reference(enterprise("manager")),
    employee_type: from("userType"),
  },
};

const SCIM_GROUP: GroupMapping = { name: from("displayName") };

const scim = (label: string, user: UserMapping = SCIM_USER): Preset => ({ label, user, group: SCIM_GROUP });

/**
 * Entra ID's default SCIM mapping writes mail to emails[type eq "work"].value and userPrincipalName to
 * userName (learn.microsoft.com, "Tutorial: develop and plan provisioning for a SCIM endpoint").
 */
const ENTRA_SCIM_USER: UserMapping = {
  ...SCIM_USER,
  fields: {
    ...SCIM_USER.fields,
    email: { sources: [{ path: 'emails[type eq "work"].value', transforms: [{ type: "trim" }] }, ...SCIM_USER.fields.email!.sources] },
  },
};

/** Microsoft Graph user resources (users/delta with the connector's $select). */
const ENTRA_GRAPH: Preset = {
  label: "Microsoft Graph user (Entra ID)",
  user: {
    fields: {
      first_name: from("givenName"),
      last_name: from("surname"),
      name: from("displayName"),
      // Cloud-only users without a mailbox have mail = null; their UPN is their sign-in address.
      email: from("mail", "userPrincipalName"),
      username: required(from("userPrincipalName")),
      job_title: from("jobTitle"),
    },
    // accountEnabled false means sign-in is blocked: Entra's "suspended".
    state: { sources: [{ path: "accountEnabled" }], inactive_values: [false] },
    emails: { from_email: { type: "work" }, sources: [{ path: "otherMails", type: "other" }] },
    custom_attributes: {
      department: from("department"),
      employee_number: from("employeeId"),
      employee_type: from("employeeType"),
      cost_center: from("employeeOrgData.costCenter"),
      division: from("employeeOrgData.division"),
      organization: from("companyName"),
      office_location: from("officeLocation"),
      // With $expand=manager (or extra_user_properties), Graph nests the manager's directoryObject.
      manager_id: from("manager.id"),
      user_type: from("userType"),
    },
  },
  // members@delta are memberships, not attributes, and change on every membership edit.
  group: { name: from("displayName"), omit_raw: ["members@delta"] },
};

/** Okta Management API users: attributes live in `profile`, lifecycle in `status`. */
const OKTA_API: Preset = {
  label: "Okta Management API user",
  user: {
    fields: {
      first_name: from("profile.firstName"),
      last_name: from("profile.lastName"),
      name: from("profile.displayName"),
      email: from("profile.email", "profile.login"),
      username: required(from("profile.login")),
      job_title: from("profile.title"),
    },
    // Statuses in which a user cannot sign in: the app should treat them as deactivated.
    state: { sources: [{ path: "status" }], inactive_values: ["SUSPENDED", "DEPROVISIONED", "LOCKED_OUT"] },
    emails: { from_email: { type: "work" }, sources: [{ path: "profile.secondEmail", type: "other" }] },
    custom_attributes: {
      department: from("profile.department"),
      employee_number: from("profile.employeeNumber"),
      cost_center: from("profile.costCenter"),
      division: from("profile.division"),
      organization: from("profile.organization"),
      manager_id: from("profile.managerId"),
      manager: from("profile.manager"),
      employee_type: from("profile.userType"),
    },
    // A sign-in sets lastLogin without touching lastUpdated: not a change to the person.
    omit_raw: ["lastLogin"],
  },
  // Moves with every membership change, which membership events already report.
  group: { name: from("profile.name"), omit_raw: ["lastMembershipUpdated"] },
};

/** Google's repeated job fields: the primary organization, else the first one with the value. */
const googleOrg = (attribute: string) => from(`organizations[primary eq true].${attribute}`, `organizations.${attribute}`);

/** Admin SDK Directory API users (projection=full). */
const GOOGLE_ADMIN: Preset = {
  label: "Google Workspace Admin SDK user",
  user: {
    fields: {
      first_name: from("name.givenName"),
      last_name: from("name.familyName"),
      // displayName is the preferred name an admin set; fullName is always given + family.
      name: from("name.displayName", "name.fullName"),
      email: from("primaryEmail"),
      // Users sign in to Google with their primary e-mail; there is no separate login name.
      username: required(from("primaryEmail")),
      job_title: googleOrg("title"),
    },
    // Neither a suspended nor an archived user can sign in; both stay listed by Google.
    state: { sources: [{ path: "suspended" }, { path: "archived" }], inactive_values: [true] },
    emails: { from_email: { type: "work" }, sources: [{ path: "emails", value_keys: ["address"], type_keys: ["customType", "type"] }] },
    custom_attributes: {
      department: googleOrg("department"),
      cost_center: googleOrg("costCenter"),
      // externalIds of type "organization" are the employee id an HR system writes.
      employee_number: from('externalIds[type eq "organization"].value'),
      // A manager relation carries the manager's e-mail, not an id; resolving it is the app's call.
      manager_email: from('relations[type eq "manager"].value'),
      org_unit_path: from("orgUnitPath"),
    },
    // A sign-in changes lastLoginTime and with it the etag: neither is a change to the person.
    omit_raw: ["lastLoginTime", "etag"],
  },
  // Counters and etags follow membership changes, which membership events already report.
  group: { name: from("name", "email"), omit_raw: ["directMembersCount", "etag"] },
};

/** Every directory type's preset. */
export const PRESETS: Record<DirectoryType, Preset> = {
  "azure scim v2.0": scim("Microsoft Entra ID (SCIM)", ENTRA_SCIM_USER),
  "okta scim v2.0": scim("Okta (SCIM)"),
  "onelogin scim v2.0": scim("OneLogin (SCIM)"),
  "jump cloud scim v2.0": scim("JumpCloud (SCIM)"),
  "google scim v2.0": scim("Google Workspace (SCIM)"),
  "rippling scim v2.0": scim("Rippling (SCIM)"),
  "pingfederate scim v2.0": scim("PingFederate (SCIM)"),
  "generic scim v2.0": scim("Generic SCIM 2.0"),
  "azure graph": ENTRA_GRAPH,
  "gsuite directory": GOOGLE_ADMIN,
  "okta api": OKTA_API,
};

/** The preset of a directory type; unknown types read as generic SCIM. */
export function presetFor(type: string): Preset {
  return PRESETS[type as DirectoryType] ?? PRESETS["generic scim v2.0"];
}

export const GENERIC_SCIM_USER_MAPPING = SCIM_USER;
export const ENTRA_GRAPH_USER_MAPPING = ENTRA_GRAPH.user;
export const OKTA_API_USER_MAPPING = OKTA_API.user;
export const GOOGLE_ADMIN_USER_MAPPING = GOOGLE_ADMIN.user;

/** The mapping a directory normalizes users with: its type's preset with its stored overrides merged. */
export function userMappingFor(directory: { type: string; attributeMapping?: unknown }): UserMapping {
  const override = directory.attributeMapping as MappingOverride | undefined;
  return override && Object.keys(override).length > 0 ? mergeMapping(presetFor(directory.type).user, override) : presetFor(directory.type).user;
}
