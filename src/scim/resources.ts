// SCIM resource shapes: what is stored (the IdP's JSON without server-owned attributes) and what is
// returned (that JSON plus id, members / groups and meta), with attributes / excludedAttributes
// projection (RFC 7644 §3.4.2.5). Pure.
import { hash } from "node:crypto";
import type { MemberRef } from "../sync/lookup.js";
import { getIgnoringCase } from "../normalize/scim-filter-match.js";
import { parseAttrPath } from "../normalize/scim-filter.js";
import type { ScimResource } from "./patch.js";

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/** Longest userName, externalId or group displayName: index keys, and a Postgres index entry holds ~2.7 kB. */
export const MAX_KEY_LENGTH = 1024;

/** What the server renders a resource from: stored JSON plus the server's own fields. */
export interface StoredResource {
  id: string;
  raw: ScimResource;
  createdAt: Date | string;
  updatedAt: Date | string;
  /** Users: derived from state; groups: undefined. */
  active?: boolean;
  /** Users: their groups; groups: their members; null when not loaded (excluded). */
  refs: MemberRef[] | null;
}

// Server-owned or secret: never stored from a request. Okta sends password when password sync is on.
const NOT_STORED = new Set(["id", "meta", "password"]);

/** The request body as it will be stored: without id, meta, password and (for groups) members or (users) groups. */
export function storableResource(body: ScimResource, kind: "User" | "Group"): ScimResource {
  const drop = new Set([...NOT_STORED, kind === "User" ? "groups" : "members"]);
  return Object.fromEntries(Object.entries(body).filter(([key]) => !drop.has(key.toLowerCase())));
}

/** True when the body's schemas list holds `schema` (URNs compare case-insensitively). */
export function hasSchema(body: ScimResource, schema: string): boolean {
  const schemas = getIgnoringCase(body, "schemas");
  return Array.isArray(schemas) && schemas.some((s) => typeof s === "string" && s.toLowerCase() === schema.toLowerCase());
}

/** A weak ETag that changes whenever the stored resource or its timestamps do. */
export function versionOf(resource: StoredResource): string {
  // One-shot over the concatenation: the same digest as three update() calls, without a Hash object.
  const digest = hash("sha1", JSON.stringify(resource.raw) + iso(resource.updatedAt) + String(resource.active), "base64url");
  return `W/"${digest.slice(0, 16)}"`;
}

export function renderScimResource(kind: "User" | "Group", resource: StoredResource, location: string): ScimResource {
  const { schemas: rawSchemas, ...rest } = resource.raw;
  const core = kind === "User" ? USER_SCHEMA : GROUP_SCHEMA;
  const schemas = Array.isArray(rawSchemas) ? [...rawSchemas] : [];
  if (!schemas.some((s) => typeof s === "string" && s.toLowerCase() === core.toLowerCase())) schemas.unshift(core);
  const out: ScimResource = { schemas, id: resource.id, ...rest };
  if (kind === "User" && resource.active !== undefined) out[keyOf(out, "active")] = resource.active;
  if (resource.refs) {
    const refs = resource.refs.map((r) => ({ value: r.id, display: r.display ?? undefined, $ref: refUrl(location, kind, r.id) }));
    if (kind === "Group") out.members = refs;
    else if (refs.length > 0) out.groups = refs;
  }
  out.meta = {
    resourceType: kind,
    created: iso(resource.createdAt),
    lastModified: iso(resource.updatedAt),
    location,
    version: versionOf(resource),
  };
  return out;
}

/** A reference to the other resource type: members point at Users, groups at Groups. */
function refUrl(location: string, kind: "User" | "Group", id: string): string {
  const base = location.slice(0, location.lastIndexOf(kind === "User" ? "/Users/" : "/Groups/"));
  return `${base}/${kind === "User" ? "Groups" : "Users"}/${id}`;
}

function iso(value: Date | string): string {
  return typeof value === "string" ? value : value.toISOString();
}

function keyOf(record: Record<string, unknown>, name: string): string {
  const lower = name.toLowerCase();
  return Object.keys(record).find((k) => k.toLowerCase() === lower) ?? name;
}

/** The attributes / excludedAttributes query parameters, split on commas. */
export interface Projection {
  attributes: string[] | null;
  excluded: string[] | null;
}

export function parseProjection(attributes: string | undefined, excluded: string | undefined): Projection {
  const split = (v: string | undefined) => (v ? v.split(",").map((s) => s.trim()).filter(Boolean) : null);
  return { attributes: split(attributes), excluded: split(excluded) };
}

/** Whether the response will include `name` at the top level (so it is worth loading). */
export function projects(projection: Projection, name: string): boolean {
  const lower = name.toLowerCase();
  const top = (p: string) => (parseAttrPath(p)?.name ?? p).toLowerCase();
  if (projection.attributes) return projection.attributes.some((p) => top(p) === lower);
  if (projection.excluded) return !projection.excluded.some((p) => top(p) === lower && !parseAttrPath(p)?.sub);
  return true;
}

/** Applies attributes / excludedAttributes; id and schemas are always returned (RFC 7643 §7 "always"). */
export function project(resource: ScimResource, projection: Projection): ScimResource {
  if (projection.attributes) {
    const out: ScimResource = { schemas: resource.schemas, id: resource.id };
    for (const path of projection.attributes) copyPath(resource, out, path);
    return out;
  }
  if (projection.excluded) {
    const out = structuredClone(resource);
    for (const path of projection.excluded) removePath(out, path);
    return out;
  }
  return resource;
}

function locate(resource: ScimResource, path: string): { container: string | null; name: string; sub: string | null } | null {
  const attr = parseAttrPath(path);
  if (!attr) return null;
  if (attr.uri && /^urn:ietf:params:scim:schemas:core:2\.0:/i.test(attr.uri)) return { container: null, name: attr.name, sub: attr.sub };
  if (attr.uri && !attr.sub) {
    // "urn:...:enterprise:2.0:User" names the whole extension; "urn:...:User:department" one attribute.
    const whole = `${attr.uri}:${attr.name}`.toLowerCase();
    if (whole === ENTERPRISE_SCHEMA.toLowerCase() || Object.keys(resource).some((k) => k.toLowerCase() === whole)) {
      return { container: null, name: `${attr.uri}:${attr.name}`, sub: null };
    }
  }
  return { container: attr.uri, name: attr.name, sub: attr.sub };
}

function copyPath(from: ScimResource, to: ScimResource, path: string): void {
  const loc = locate(from, path);
  if (!loc) return;
  let source: unknown = from;
  let target: Record<string, unknown> = to;
  if (loc.container) {
    const key = keyOf(from, loc.container);
    source = from[key];
    if (source === undefined) return;
    target = (to[key] ??= {}) as Record<string, unknown>;
  }
  if (typeof source !== "object" || source === null) return;
  const key = keyOf(source as Record<string, unknown>, loc.name);
  const value = (source as Record<string, unknown>)[key];
  if (value === undefined) return;
  if (!loc.sub) {
    target[key] = value;
    return;
  }
  const subOf = (item: unknown) => {
    if (typeof item !== "object" || item === null) return undefined;
    const subKey = keyOf(item as Record<string, unknown>, loc.sub!);
    const subValue = (item as Record<string, unknown>)[subKey];
    return subValue === undefined ? undefined : { [subKey]: subValue };
  };
  if (Array.isArray(value)) {
    const existing = Array.isArray(target[key]) ? (target[key] as Record<string, unknown>[]) : [];
    target[key] = value.map((item, i) => ({ ...(existing[i] ?? {}), ...(subOf(item) ?? {}) }));
  } else {
    const picked = subOf(value);
    if (picked) target[key] = { ...((target[key] as object) ?? {}), ...picked };
  }
}

function removePath(resource: ScimResource, path: string): void {
  const loc = locate(resource, path);
  if (!loc || (!loc.container && !loc.sub && ["id", "schemas"].includes(loc.name.toLowerCase()))) return;
  let holder: unknown = resource;
  if (loc.container) holder = resource[keyOf(resource, loc.container)];
  if (typeof holder !== "object" || holder === null) return;
  const record = holder as Record<string, unknown>;
  const key = keyOf(record, loc.name);
  if (!loc.sub) {
    delete record[key];
    return;
  }
  const items = Array.isArray(record[key]) ? (record[key] as unknown[]) : [record[key]];
  for (const item of items) if (typeof item === "object" && item !== null) delete (item as Record<string, unknown>)[keyOf(item as Record<string, unknown>, loc.sub)];
}
