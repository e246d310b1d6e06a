// The generic SCIM -> canonical mapping, as data: which attribute paths feed each canonical field.
// Per-provider presets (a later issue) are more values of the same type, so no mapping logic lives here.

export const ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/** Names a value normalizer in scim.ts; data cannot hold functions, so mappings refer to them by name. */
export type ValueNormalizer = "string" | "scimBoolean" | "managerId";

/** One canonical value: the first candidate path that holds a usable value wins. */
export interface FieldSource {
  paths: string[];
  normalizer?: ValueNormalizer;
}

/** How a SCIM user resource becomes a canonical user. Paths are case-insensitive, URN-qualified for extensions. */
export interface ScimUserMapping {
  first_name: FieldSource;
  last_name: FieldSource;
  name: FieldSource;
  username: FieldSource;
  job_title: FieldSource;
  /** Decides state: false means inactive; absent means active. */
  active: FieldSource;
  /** custom_attributes key -> source. */
  custom_attributes: Record<string, FieldSource>;
}

const enterprise = (attribute: string) => `${ENTERPRISE_USER_SCHEMA}:${attribute}`;

/** What every SCIM directory gets: RFC 7643 core User plus the enterprise extension. */
export const GENERIC_SCIM_USER_MAPPING: ScimUserMapping = {
  first_name: { paths: ["name.givenName"] },
  last_name: { paths: ["name.familyName"] },
  name: { paths: ["displayName", "name.formatted"] },
  username: { paths: ["userName"] },
  job_title: { paths: ["title"] },
  // Entra sends active as the string "True" / "False" in PATCH values.
  active: { paths: ["active"], normalizer: "scimBoolean" },
  custom_attributes: {
    department: { paths: [enterprise("department")] },
    employee_number: { paths: [enterprise("employeeNumber")] },
    cost_center: { paths: [enterprise("costCenter")] },
    division: { paths: [enterprise("division")] },
    organization: { paths: [enterprise("organization")] },
    // manager is { value: "<manager id>", displayName?, $ref? }; Entra sometimes sends the id alone.
    manager_id: { paths: [enterprise("manager")], normalizer: "managerId" },
  },
};
