// Okta Management API users and groups -> canonical records, driven by one mapping table.
// raw_attributes keep the Okta record as the SDK returned it. Pure, no I/O.
import type { CanonicalGroupInput, CanonicalUserInput, UserEmail } from "../model/index.js";
import { firstText, presentValues } from "./fields.js";

type OktaRecord = Record<string, unknown>;

/** Which Okta profile attributes feed each canonical field; the first non-empty string wins. */
export interface OktaUserMapping {
  first_name: string[];
  last_name: string[];
  name: string[];
  email: string[];
  username: string[];
  job_title: string[];
  /** custom_attributes key -> profile attribute. */
  custom_attributes: Record<string, string>;
}

export const OKTA_API_USER_MAPPING: OktaUserMapping = {
  first_name: ["firstName"],
  last_name: ["lastName"],
  name: ["displayName"],
  email: ["email", "login"],
  username: ["login"],
  job_title: ["title"],
  custom_attributes: {
    department: "department",
    employee_number: "employeeNumber",
    cost_center: "costCenter",
    division: "division",
    organization: "organization",
    manager_id: "managerId",
    manager: "manager",
    user_type: "userType",
  },
};

/** Statuses in which a user cannot sign in: the app should treat them as deactivated. */
const INACTIVE_STATUSES = new Set(["SUSPENDED", "DEPROVISIONED", "LOCKED_OUT"]);

export function normalizeOktaUser(id: string, raw: OktaRecord, mapping: OktaUserMapping = OKTA_API_USER_MAPPING): CanonicalUserInput {
  const profile = (raw.profile ?? {}) as OktaRecord;
  const read = (attribute: string) => profile[attribute];
  const first = (attributes: string[]) => firstText(read, attributes);
  const email = first(mapping.email);
  const emails: UserEmail[] = email ? [{ primary: true, type: "work", value: email }] : [];
  const second = profile.secondEmail;
  if (typeof second === "string" && second !== "" && second !== email) emails.push({ primary: false, type: "other", value: second });
  const custom = presentValues(read, mapping.custom_attributes);
  return {
    idp_id: id,
    first_name: first(mapping.first_name),
    last_name: first(mapping.last_name),
    name: first(mapping.name),
    email,
    emails,
    username: first(mapping.username),
    job_title: first(mapping.job_title),
    state: INACTIVE_STATUSES.has(String(raw.status)) ? "inactive" : "active",
    custom_attributes: custom,
    raw_attributes: raw,
  };
}

export function normalizeOktaGroup(id: string, raw: OktaRecord): CanonicalGroupInput {
  const profile = (raw.profile ?? {}) as OktaRecord;
  const name = typeof profile.name === "string" && profile.name !== "" ? profile.name : id;
  return { idp_id: id, name, raw_attributes: raw };
}
