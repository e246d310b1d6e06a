// Google Workspace (Admin SDK Directory API) users and groups -> canonical records, driven by one
// mapping table. Google keeps job data in repeated fields (organizations[], externalIds[],
// relations[]), so a mapping path may pick an entry of a list first. raw_attributes keep the Google
// record as the API returned it. Pure, no I/O.
import type { CanonicalGroupInput, CanonicalUserInput, UserEmail } from "../model/index.js";
import { firstText } from "./fields.js";

type GoogleRecord = Record<string, unknown>;

/**
 * Where a value is read from: a dotted path (`name.givenName`), where a segment `list[key=value]`
 * walks into the first entry of `list` whose `key` equals `value` (`organizations[primary=true]`).
 */
export type GooglePath = string;

/** Which Google fields feed each canonical field; the first non-empty string wins. */
export interface GoogleUserMapping {
  first_name: GooglePath[];
  last_name: GooglePath[];
  name: GooglePath[];
  email: GooglePath[];
  username: GooglePath[];
  job_title: GooglePath[];
  /** custom_attributes key -> candidate paths. */
  custom_attributes: Record<string, GooglePath[]>;
}

/** The primary organization, or the first one when none is flagged primary. */
const ORG = ["organizations[primary=true]", "organizations[0]"];

export const GOOGLE_ADMIN_USER_MAPPING: GoogleUserMapping = {
  first_name: ["name.givenName"],
  last_name: ["name.familyName"],
  name: ["name.fullName", "name.displayName"],
  email: ["primaryEmail"],
  // Users sign in to Google with their primary e-mail; there is no separate login name.
  username: ["primaryEmail"],
  job_title: ORG.map((o) => `${o}.title`),
  custom_attributes: {
    department: ORG.map((o) => `${o}.department`),
    cost_center: ORG.map((o) => `${o}.costCenter`),
    // externalIds of type "organization" are the employee id an HR system writes (§2.3).
    employee_number: ["externalIds[type=organization].value"],
    // A manager relation carries the manager's e-mail, not an id; resolving it is the app's call.
    manager_email: ["relations[type=manager].value"],
    org_unit_path: ["orgUnitPath"],
  },
};

export function normalizeGoogleUser(id: string, raw: GoogleRecord, mapping: GoogleUserMapping = GOOGLE_ADMIN_USER_MAPPING): CanonicalUserInput {
  const first = (paths: GooglePath[]) => firstText((path) => readPath(raw, path), paths);
  const email = first(mapping.email);
  const custom: Record<string, unknown> = {};
  for (const [key, paths] of Object.entries(mapping.custom_attributes)) {
    const value = first(paths);
    if (value !== null) custom[key] = value;
  }
  return {
    idp_id: id,
    first_name: first(mapping.first_name),
    last_name: first(mapping.last_name),
    name: first(mapping.name),
    email,
    emails: emailsOf(raw, email),
    username: first(mapping.username),
    job_title: first(mapping.job_title),
    // Neither a suspended nor an archived user can sign in; both stay listed by Google (§4).
    state: raw.suspended === true || raw.archived === true ? "inactive" : "active",
    custom_attributes: custom,
    raw_attributes: raw,
  };
}

export function normalizeGoogleGroup(id: string, raw: GoogleRecord): CanonicalGroupInput {
  const name = [raw.name, raw.email].find((v): v is string => typeof v === "string" && v !== "") ?? id;
  return { idp_id: id, name, raw_attributes: raw };
}

/** The primary address first, then the others of emails[] once each, in Google's order. */
function emailsOf(raw: GoogleRecord, primary: string | null): UserEmail[] {
  const out: UserEmail[] = primary ? [{ primary: true, type: "work", value: primary }] : [];
  const seen = new Set(out.map((e) => e.value.toLowerCase()));
  for (const entry of Array.isArray(raw.emails) ? (raw.emails as GoogleRecord[]) : []) {
    const address = entry?.address;
    if (typeof address !== "string" || address === "" || seen.has(address.toLowerCase())) continue;
    seen.add(address.toLowerCase());
    const type = typeof entry.customType === "string" && entry.customType !== "" ? entry.customType : typeof entry.type === "string" ? entry.type : null;
    out.push({ primary: false, type, value: address });
  }
  return out;
}

function readPath(record: GoogleRecord, path: GooglePath): unknown {
  let value: unknown = record;
  for (const segment of path.split(".")) {
    const pick = /^([^[]+)\[(?:(\d+)|([^=\]]+)=([^\]]*))\]$/.exec(segment);
    if (!value || typeof value !== "object") return undefined;
    if (!pick) {
      value = (value as GoogleRecord)[segment];
      continue;
    }
    const list = (value as GoogleRecord)[pick[1]!];
    if (!Array.isArray(list)) return undefined;
    value =
      pick[2] !== undefined
        ? list[Number(pick[2])]
        : list.find((item) => item && typeof item === "object" && String((item as GoogleRecord)[pick[3]!]) === pick[4]);
  }
  return value;
}
