// Microsoft Graph (Entra ID) users and groups -> canonical records, driven by one mapping table.
// raw_attributes keep the Graph record as received (a group's members@delta links excepted: they
// are memberships, not attributes, and change on every membership edit). Pure, no I/O.
import type { CanonicalGroupInput, CanonicalUserInput, UserEmail } from "../model/index.js";
import { firstText, presentValues } from "./fields.js";

type GraphRecord = Record<string, unknown>;

/** Which Graph properties feed each canonical field; the first one holding a non-empty string wins. */
export interface GraphUserMapping {
  first_name: string[];
  last_name: string[];
  name: string[];
  email: string[];
  username: string[];
  job_title: string[];
  /** custom_attributes key -> Graph property path (dots walk into objects). */
  custom_attributes: Record<string, string>;
}

export const ENTRA_GRAPH_USER_MAPPING: GraphUserMapping = {
  first_name: ["givenName"],
  last_name: ["surname"],
  name: ["displayName"],
  // Cloud-only users without a mailbox have mail = null; their UPN is their sign-in address.
  email: ["mail", "userPrincipalName"],
  username: ["userPrincipalName"],
  job_title: ["jobTitle"],
  custom_attributes: {
    department: "department",
    employee_id: "employeeId",
    employee_type: "employeeType",
    company_name: "companyName",
    office_location: "officeLocation",
    user_type: "userType",
  },
};

export function normalizeEntraUser(id: string, raw: GraphRecord, mapping: GraphUserMapping = ENTRA_GRAPH_USER_MAPPING): CanonicalUserInput {
  const read = (path: string) => readPath(raw, path);
  const first = (paths: string[]) => firstText(read, paths);
  const email = first(mapping.email);
  const emails: UserEmail[] = email ? [{ primary: true, type: "work", value: email }] : [];
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
    // accountEnabled false means sign-in is blocked: Entra's "suspended".
    state: raw.accountEnabled === false ? "inactive" : "active",
    custom_attributes: custom,
    raw_attributes: raw,
  };
}

export function normalizeEntraGroup(id: string, raw: GraphRecord): CanonicalGroupInput {
  const { "members@delta": _links, ...attributes } = raw;
  const name = typeof raw.displayName === "string" && raw.displayName !== "" ? raw.displayName : id;
  return { idp_id: id, name, raw_attributes: attributes };
}

function readPath(record: GraphRecord, path: string): unknown {
  let value: unknown = record;
  for (const part of path.split(".")) {
    if (!value || typeof value !== "object") return undefined;
    value = (value as GraphRecord)[part];
  }
  return value;
}
