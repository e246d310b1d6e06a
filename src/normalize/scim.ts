// SCIM resources -> canonical users and groups, driven by a ScimUserMapping (scim-mapping.ts).
// Pure: the SCIM server calls it before every write; raw_attributes is the resource as received.
import type { CanonicalGroupInput, CanonicalUserInput, UserEmail } from "../model/index.js";
import { GENERIC_SCIM_USER_MAPPING, type FieldSource, type ScimUserMapping, type ValueNormalizer } from "./scim-mapping.js";

type Resource = Record<string, unknown>;

/** Maps a SCIM User resource onto the canonical user with the given idp_id. */
export function normalizeScimUser(resource: Resource, idpId: string, mapping: ScimUserMapping = GENERIC_SCIM_USER_MAPPING): CanonicalUserInput {
  const emails = scimEmails(resource);
  const username = readField(resource, mapping.username);
  const customAttributes: Record<string, unknown> = {};
  for (const [key, source] of Object.entries(mapping.custom_attributes)) {
    const value = readField(resource, source);
    if (value !== null) customAttributes[key] = value;
  }
  return {
    idp_id: idpId,
    first_name: readField(resource, mapping.first_name),
    last_name: readField(resource, mapping.last_name),
    name: readField(resource, mapping.name),
    username,
    // Some IdPs (Okta with a minimal profile) send no emails: userName is then usually the address.
    email: emails[0]?.value ?? (username?.includes("@") ? username : null),
    emails,
    job_title: readField(resource, mapping.job_title),
    state: readValue(resource, mapping.active) === false ? "inactive" : "active",
    custom_attributes: customAttributes,
    raw_attributes: resource,
  };
}

/** Maps a SCIM Group resource (without its members, which live in the membership table). */
export function normalizeScimGroup(resource: Resource, idpId: string): CanonicalGroupInput {
  const displayName = readPath(resource, "displayName");
  return { idp_id: idpId, name: typeof displayName === "string" ? displayName : "", raw_attributes: resource };
}

/**
 * Entra sends booleans as strings ("True", "False") for active and for primary flags of multi-valued
 * attributes; this turns them into JSON booleans so stored resources, filters and GETs agree.
 * Returns a copy; values that are neither string booleans nor booleans are left as they are.
 */
export function normalizeEntraBooleans(resource: Resource): Resource {
  const out: Resource = { ...resource };
  for (const [key, value] of Object.entries(out)) {
    if (key.toLowerCase() === "active") {
      const bool = scimBoolean(value);
      if (bool !== null) out[key] = bool;
    } else if (Array.isArray(value)) {
      out[key] = value.map((item) => {
        if (!isObject(item)) return item;
        const primaryKey = Object.keys(item).find((k) => k.toLowerCase() === "primary");
        if (!primaryKey) return item;
        const bool = scimBoolean(item[primaryKey]);
        return bool === null ? item : { ...item, [primaryKey]: bool };
      });
    }
  }
  return out;
}

/** true / false, or the strings "true" / "false" in any case; null for anything else. */
export function scimBoolean(value: unknown): boolean | null {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const lower = value.trim().toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
  }
  return null;
}

/** The user's e-mail addresses, primary first; entries without a string value are skipped. */
export function scimEmails(resource: Resource): UserEmail[] {
  const raw = readPath(resource, "emails");
  if (!Array.isArray(raw)) return [];
  const emails = raw.flatMap((item): UserEmail[] => {
    const value = readPath(item, "value");
    if (typeof value !== "string" || value.trim() === "") return [];
    const type = readPath(item, "type");
    return [{ value: value.trim(), type: typeof type === "string" ? type : null, primary: scimBoolean(readPath(item, "primary")) === true }];
  });
  // Stable sort: the primary address first, the rest in the IdP's order.
  return emails.sort((a, b) => Number(b.primary) - Number(a.primary));
}

const NORMALIZERS: Record<ValueNormalizer, (value: unknown) => unknown> = {
  string: (value) => (typeof value === "string" ? (value.trim() === "" ? null : value) : typeof value === "number" ? String(value) : null),
  scimBoolean,
  managerId: (value) => {
    const id = isObject(value) ? readPath(value, "value") : value;
    return typeof id === "string" && id !== "" ? id : null;
  },
};

function readValue(resource: Resource, source: FieldSource): unknown {
  const normalize = NORMALIZERS[source.normalizer ?? "string"];
  for (const path of source.paths) {
    const value = normalize(readPath(resource, path));
    if (value !== null && value !== undefined) return value;
  }
  return null;
}

function readField(resource: Resource, source: FieldSource): string | null {
  const value = readValue(resource, source);
  return typeof value === "string" ? value : null;
}

/**
 * Reads "a.b" or "urn:...:Schema:a.b" from a resource, ignoring case in attribute names.
 * Also accepts the flattened key "urn:...:Schema:a" at the top level, as some IdPs store it.
 */
export function readPath(resource: unknown, path: string): unknown {
  let container: unknown = resource;
  let rest = path;
  if (/^urn:/i.test(path)) {
    const cut = path.lastIndexOf(":");
    const flattened = getIgnoringCase(resource, path);
    if (flattened !== undefined) return flattened;
    container = getIgnoringCase(resource, path.slice(0, cut));
    rest = path.slice(cut + 1);
  }
  for (const part of rest.split(".")) container = getIgnoringCase(container, part);
  return container;
}

function getIgnoringCase(object: unknown, key: string): unknown {
  if (!isObject(object)) return undefined;
  if (key in object) return object[key];
  const lower = key.toLowerCase();
  const match = Object.keys(object).find((k) => k.toLowerCase() === lower);
  return match === undefined ? undefined : object[match];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
