// Discovery endpoints (RFC 7644 §4): /ServiceProviderConfig, /ResourceTypes and /Schemas, describing
// what this server does: PATCH and filters yes, bulk, sort and password change no. Static data,
// served without authentication (RFC 7644 §4 lets clients read them before they have a token).
import { Hono } from "hono";
import { scimError, scimJson } from "./errors.js";
import type { ScimEnv } from "./env.js";
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, LIST_SCHEMA, USER_SCHEMA } from "./resources.js";

/** Limits advertised to clients; also enforced by the handlers. */
export interface ScimLimits {
  maxResults: number;
  maxBodyBytes: number;
}

interface AttributeOptions {
  type?: "string" | "boolean" | "complex" | "reference" | "dateTime" | "integer";
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: "readOnly" | "readWrite" | "immutable" | "writeOnly";
  returned?: "always" | "never" | "default" | "request";
  uniqueness?: "none" | "server" | "global";
  subAttributes?: SchemaAttribute[];
  referenceTypes?: string[];
}

/** One attribute definition, as RFC 7643 §7 describes them. */
interface SchemaAttribute {
  name: string;
  type: string;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact?: boolean;
  subAttributes?: SchemaAttribute[];
  referenceTypes?: string[];
  mutability: string;
  returned: string;
  uniqueness: string;
}

function attribute(name: string, description: string, options: AttributeOptions = {}): SchemaAttribute {
  const type = options.type ?? "string";
  return {
    name,
    type,
    multiValued: options.multiValued ?? false,
    description,
    required: options.required ?? false,
    ...(type === "string" || type === "reference" ? { caseExact: options.caseExact ?? false } : {}),
    ...(options.subAttributes ? { subAttributes: options.subAttributes } : {}),
    ...(options.referenceTypes ? { referenceTypes: options.referenceTypes } : {}),
    mutability: options.mutability ?? "readWrite",
    returned: options.returned ?? "default",
    uniqueness: options.uniqueness ?? "none",
  };
}

const multi = (name: string, description: string, extra: SchemaAttribute[] = []) =>
  attribute(name, description, {
    type: "complex",
    multiValued: true,
    subAttributes: [
      attribute("value", `The ${name} value.`),
      attribute("display", "A human-readable name."),
      attribute("type", "A label indicating the attribute's function."),
      attribute("primary", "Whether this is the primary value.", { type: "boolean" }),
      ...extra,
    ],
  });

const USER_ATTRIBUTES = [
  attribute("userName", "Unique identifier for the User, typically used to sign in.", { required: true, uniqueness: "server" }),
  attribute("name", "The components of the user's name.", {
    type: "complex",
    subAttributes: ["formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"].map((n) => attribute(n, `The ${n} of the user's name.`)),
  }),
  ...["displayName", "nickName", "title", "userType", "preferredLanguage", "locale", "timezone"].map((n) => attribute(n, `The user's ${n}.`)),
  attribute("profileUrl", "A URI of the user's online profile.", { type: "reference", referenceTypes: ["external"] }),
  attribute("active", "The user's administrative status.", { type: "boolean" }),
  attribute("password", "Accepted and discarded: this server never stores passwords.", { mutability: "writeOnly", returned: "never" }),
  multi("emails", "E-mail addresses of the user."),
  multi("phoneNumbers", "Phone numbers of the user."),
  multi("ims", "Instant messaging addresses of the user."),
  multi("photos", "URLs of photos of the user."),
  attribute("addresses", "Physical mailing addresses of the user.", {
    type: "complex",
    multiValued: true,
    subAttributes: ["formatted", "streetAddress", "locality", "region", "postalCode", "country", "type"].map((n) => attribute(n, `The ${n} of the address.`)).concat([attribute("primary", "Whether this is the primary address.", { type: "boolean" })]),
  }),
  attribute("groups", "Groups the user belongs to, maintained through the Group resource.", {
    type: "complex",
    multiValued: true,
    mutability: "readOnly",
    subAttributes: [attribute("value", "The group's id.", { mutability: "readOnly" }), attribute("$ref", "The group's URI.", { type: "reference", referenceTypes: ["Group"], mutability: "readOnly" }), attribute("display", "The group's name.", { mutability: "readOnly" })],
  }),
  multi("entitlements", "Entitlements of the user."),
  multi("roles", "Roles of the user."),
  multi("x509Certificates", "Certificates of the user."),
];

const GROUP_ATTRIBUTES = [
  attribute("displayName", "A human-readable name for the Group.", { required: true }),
  attribute("members", "Members of the Group.", {
    type: "complex",
    multiValued: true,
    subAttributes: [
      attribute("value", "The member's id.", { mutability: "immutable" }),
      attribute("$ref", "The member's URI.", { type: "reference", referenceTypes: ["User"], mutability: "immutable" }),
      attribute("display", "The member's name.", { mutability: "readOnly" }),
      attribute("type", "User (groups cannot be members here).", { mutability: "immutable" }),
    ],
  }),
];

const ENTERPRISE_ATTRIBUTES = [
  ...["employeeNumber", "costCenter", "organization", "division", "department"].map((n) => attribute(n, `The user's ${n}.`)),
  attribute("manager", "The user's manager.", {
    type: "complex",
    subAttributes: [attribute("value", "The manager's id."), attribute("$ref", "The manager's URI.", { type: "reference", referenceTypes: ["User"] }), attribute("displayName", "The manager's name.", { mutability: "readOnly" })],
  }),
];

const SCHEMAS = [
  { id: USER_SCHEMA, name: "User", description: "User Account", attributes: USER_ATTRIBUTES },
  { id: GROUP_SCHEMA, name: "Group", description: "Group", attributes: GROUP_ATTRIBUTES },
  { id: ENTERPRISE_SCHEMA, name: "EnterpriseUser", description: "Enterprise User", attributes: ENTERPRISE_ATTRIBUTES },
];

export function discoveryApp(baseUrlOf: (directoryId: string) => string, limits: ScimLimits): Hono<ScimEnv> {
  const schemaResource = (base: string, schema: (typeof SCHEMAS)[number]) => ({
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
    ...schema,
    meta: { resourceType: "Schema", location: `${base}/Schemas/${schema.id}` },
  });
  const resourceTypes = (base: string) => [
    {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
      id: "User",
      name: "User",
      endpoint: "/Users",
      description: "User Account",
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_SCHEMA, required: false }],
      meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
      id: "Group",
      name: "Group",
      endpoint: "/Groups",
      description: "Group",
      schema: GROUP_SCHEMA,
      schemaExtensions: [],
      meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/Group` },
    },
  ];
  const list = (resources: unknown[]) => ({ schemas: [LIST_SCHEMA], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources });
  const base = (id: string | undefined) => baseUrlOf(id ?? "");

  return new Hono<ScimEnv>()
    .get("/ServiceProviderConfig", (c) =>
      scimJson(c, {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        // Only what the handlers do: PATCH (RFC 7644 §3.5.2), filters with at most maxResults per page,
        // weak ETags with If-Match / If-None-Match. No /Bulk endpoint, no sortBy (lists are in creation
        // order), no password change (a password sent is dropped). No documentationUri: none is published.
        patch: { supported: true },
        bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
        filter: { supported: true, maxResults: limits.maxResults },
        changePassword: { supported: false },
        sort: { supported: false },
        etag: { supported: true },
        authenticationSchemes: [
          {
            type: "oauthbearertoken",
            name: "OAuth Bearer Token",
            description: "The directory's SCIM token, sent as Authorization: Bearer <token>.",
            specUri: "https://www.rfc-editor.org/rfc/rfc6750",
            primary: true,
          },
        ],
        meta: { resourceType: "ServiceProviderConfig", location: `${base(c.req.param("directoryId"))}/ServiceProviderConfig` },
      }),
    )
    .get("/ResourceTypes", (c) => scimJson(c, list(resourceTypes(base(c.req.param("directoryId"))))))
    .get("/ResourceTypes/:name", (c) => {
      const found = resourceTypes(base(c.req.param("directoryId"))).find((r) => r.id.toLowerCase() === c.req.param("name").toLowerCase());
      if (!found) throw scimError("not_found", `resource type not found: ${c.req.param("name")}`);
      return scimJson(c, found);
    })
    .get("/Schemas", (c) => scimJson(c, list(SCHEMAS.map((s) => schemaResource(base(c.req.param("directoryId")), s)))))
    .get("/Schemas/:id", (c) => {
      const found = SCHEMAS.find((s) => s.id.toLowerCase() === c.req.param("id").toLowerCase());
      if (!found) throw scimError("not_found", `schema not found: ${c.req.param("id")}`);
      return scimJson(c, schemaResource(base(c.req.param("directoryId")), found));
    });
}
