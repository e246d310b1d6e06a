// SCIM resources -> canonical users and groups through a UserMapping (a SCIM type's preset, with the
// directory's overrides merged). Pure: the SCIM server calls it before every write; raw_attributes is
// the resource as received.
import type { CanonicalGroupInput, CanonicalUserInput } from "../model/index.js";
import { booleanOf, normalizeUserRecord, type UserMapping } from "./mapping.js";
import { readSourcePath } from "./path.js";
import { GENERIC_SCIM_USER_MAPPING } from "./presets.js";

type Resource = Record<string, unknown>;

/** Maps a SCIM User resource onto the canonical user with the given idp_id. */
export function normalizeScimUser(resource: Resource, idpId: string, mapping: UserMapping = GENERIC_SCIM_USER_MAPPING): CanonicalUserInput {
  return normalizeUserRecord(mapping, resource, idpId);
}

/** Maps a SCIM Group resource (without its members, which live in the membership table). */
export function normalizeScimGroup(resource: Resource, idpId: string): CanonicalGroupInput {
  // A SCIM group's name is its displayName as sent, "" when it has none (required on writes anyway).
  const [displayName] = readSourcePath(resource, "displayName");
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
export const scimBoolean = booleanOf;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
