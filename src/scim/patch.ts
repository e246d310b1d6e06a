// PATCH (RFC 7644 §3.5.2) as a pure function over a stored SCIM resource: takes the resource and the
// operations, returns the next resource or a SCIM error. Never touches the database. Covers what IdPs
// really send: Entra's capitalised ops, ops without a path carrying an object, flattened
// "urn:...:User:department" keys, value filters that match nothing (Entra adds emails[type eq "work"]
// that way), and group member changes, which are split off to run against the membership table.
import { getIgnoringCase, matchesFilter } from "../normalize/scim-filter-match.js";
import { parseScimPath, type AttrPath, type Filter, type PatchPath } from "../normalize/scim-filter.js";

/** A SCIM resource as stored: the IdP's JSON, without id and meta. */
export type ScimResource = Record<string, unknown>;

/** One PATCH operation as received; `op` is matched case-insensitively. */
export interface PatchOperation {
  op: string;
  path?: string | undefined;
  value?: unknown;
}

/** Why a PATCH was rejected, with the RFC 7644 §3.12 scimType to answer with. */
export interface PatchError {
  scimType: "invalidSyntax" | "invalidPath" | "invalidFilter" | "noTarget" | "invalidValue";
  detail: string;
}

export type PatchResult<T> = { ok: true; value: T } | { ok: false; error: PatchError };

/** A change to a group's member list, in the order the operations asked for it. */
export type MemberChange =
  | { kind: "add" | "remove" | "replace"; ids: string[] }
  | { kind: "removeAll" };

type Op = "add" | "remove" | "replace";

/** Attributes the server owns; ops on them are ignored (Okta repeats "id" in its rename value). */
const SERVER_OWNED = new Set(["id", "meta", "groups"]);

/** Extension schemas recognised by URN even before a resource carries them. */
const KNOWN_EXTENSIONS = ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];

class PatchFailure extends Error {
  constructor(readonly error: PatchError) {
    super(error.detail);
  }
}

const fail = (scimType: PatchError["scimType"], detail: string): never => {
  throw new PatchFailure({ scimType, detail });
};

/** Applies `operations` in order to a copy of `resource`. */
export function applyPatchOps(resource: ScimResource, operations: PatchOperation[]): PatchResult<ScimResource> {
  const next = structuredClone(resource);
  try {
    for (const operation of operations) applyOne(next, operation);
    return { ok: true, value: next };
  } catch (error) {
    if (error instanceof PatchFailure) return { ok: false, error: error.error };
    throw error;
  }
}

/**
 * Splits a group PATCH into member changes (applied to the membership table) and the remaining
 * operations on the group's own attributes (applied with applyPatchOps).
 */
export function extractMemberChanges(operations: PatchOperation[]): PatchResult<{ members: MemberChange[]; attributes: PatchOperation[] }> {
  const members: MemberChange[] = [];
  const attributes: PatchOperation[] = [];
  try {
    for (const operation of operations) {
      const op = opName(operation.op);
      if (operation.path === undefined || operation.path === null || operation.path === "") {
        if (op === "remove") fail("noTarget", "remove needs a path");
        if (!isObject(operation.value)) fail("invalidValue", `${op} without a path needs an object value`);
        const value = { ...(operation.value as Record<string, unknown>) };
        const key = Object.keys(value).find((k) => k.toLowerCase() === "members");
        if (key) {
          members.push({ kind: op === "add" ? "add" : "replace", ids: memberIds(value[key]) });
          delete value[key];
        }
        if (Object.keys(value).length > 0) attributes.push({ op, value });
        continue;
      }
      const parsed = parseScimPath(String(operation.path));
      if (!parsed.ok) fail("invalidPath", parsed.error.detail);
      const path = (parsed as { value: PatchPath }).value;
      if (path.attr.name.toLowerCase() !== "members" || path.attr.uri) {
        attributes.push({ op, path: operation.path, value: operation.value });
        continue;
      }
      if (path.filter) {
        if (op !== "remove") fail("invalidPath", `${op} on a filtered members path is not supported; use add or replace on "members"`);
        members.push({ kind: "remove", ids: valueEqualities(path.filter) });
      } else if (op === "remove") {
        // Entra removes members with path "members" and the members to remove as the value.
        members.push(operation.value === undefined || operation.value === null ? { kind: "removeAll" } : { kind: "remove", ids: memberIds(operation.value) });
      } else {
        members.push({ kind: op === "add" ? "add" : "replace", ids: memberIds(operation.value) });
      }
    }
    return { ok: true, value: { members, attributes } };
  } catch (error) {
    if (error instanceof PatchFailure) return { ok: false, error: error.error };
    throw error;
  }
}

function opName(raw: unknown): Op {
  // Entra sends "Add", "Replace", "Remove".
  const op = typeof raw === "string" ? raw.toLowerCase() : "";
  if (op === "add" || op === "remove" || op === "replace") return op;
  return fail("invalidSyntax", `unknown op ${JSON.stringify(raw)}: use add, remove or replace`);
}

function memberIds(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    const id = isObject(item) ? getIgnoringCase(item, "value") : undefined;
    if (typeof id !== "string" || id === "") return fail("invalidValue", 'each member needs a "value" holding the member id');
    return id;
  });
}

/** The ids of `value eq "..."` terms joined by "or": the only member filters IdPs send. */
function valueEqualities(filter: Filter): string[] {
  if (filter.kind === "or") return [...valueEqualities(filter.left), ...valueEqualities(filter.right)];
  if (filter.kind === "compare" && filter.op === "eq" && filter.attr.name.toLowerCase() === "value" && !filter.attr.sub && typeof filter.value === "string") {
    return [filter.value];
  }
  return fail("invalidFilter", 'member filters must be value eq "<id>", optionally joined by or');
}

function applyOne(root: ScimResource, operation: PatchOperation): void {
  const op = opName(operation.op);
  const value = operation.value;
  if (operation.path === undefined || operation.path === null || operation.path === "") {
    if (op === "remove") fail("noTarget", "remove needs a path");
    if (!isObject(value)) fail("invalidValue", `${op} without a path needs an object value`);
    // Each key is itself a path: Entra and others flatten "name.givenName" or "urn:...:User:department".
    // Some send whole paths as keys, filters included: { "emails[type eq \"work\"].value": "..." }.
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const parsed = parseScimPath(key);
      applyAt(root, op, parsed.ok ? parsed.value : { attr: { uri: null, name: key, sub: null }, filter: null, sub: null }, item);
    }
    return;
  }
  if (typeof operation.path !== "string") fail("invalidPath", "path must be a string");
  const parsed = parseScimPath(operation.path as string);
  if (!parsed.ok) return fail("invalidPath", parsed.error.detail);
  if (op !== "remove" && value === undefined) fail("invalidValue", `${op} needs a value`);
  applyAt(root, op, parsed.value, value);
}

function applyAt(root: ScimResource, op: Op, path: PatchPath, value: unknown): void {
  const attr = wholeExtension(root, path.attr);
  if (!attr.uri && SERVER_OWNED.has(attr.name.toLowerCase())) return;
  const container = containerOf(root, attr, op !== "remove");
  if (!container) return;
  const key = keyOf(container, attr.name);

  if (path.filter) return applyFiltered(container, key, op, path.filter, attr.sub ?? path.sub, value);
  if (attr.sub) return applySub(container, key, op, attr.sub, value);

  const current = container[key];
  if (op === "remove") {
    if (value !== undefined && value !== null && Array.isArray(current)) {
      const drop = Array.isArray(value) ? value : [value];
      const kept = current.filter((item) => !drop.some((d) => sameElement(item, d)));
      if (kept.length) container[key] = kept;
      else delete container[key];
    } else {
      delete container[key];
    }
    return;
  }
  if (op === "add" && (Array.isArray(current) || Array.isArray(value))) {
    const added = Array.isArray(value) ? value : [value];
    const list = Array.isArray(current) ? [...current] : current === undefined || current === null ? [] : [current];
    for (const item of added) if (!list.some((existing) => sameElement(existing, item))) list.push(item);
    container[key] = singlePrimary(list, added);
    return;
  }
  if (isObject(current) && isObject(value)) {
    // §3.5.2.1 / §3.5.2.3: sub-attributes given replace, those not given stay.
    const merged = { ...(current as Record<string, unknown>) };
    for (const [sub, item] of Object.entries(value as Record<string, unknown>)) merged[keyOf(merged, sub)] = item;
    container[key] = merged;
    return;
  }
  container[key] = Array.isArray(value) ? singlePrimary(value, value) : value;
}

/** name.givenName and the like; on a multi-valued attribute, every element's sub-attribute. */
function applySub(container: Record<string, unknown>, key: string, op: Op, sub: string, value: unknown): void {
  const parent = container[key];
  if (Array.isArray(parent)) {
    for (const element of parent) if (isObject(element)) setOrDelete(element as Record<string, unknown>, sub, op, value);
    return;
  }
  if (!isObject(parent)) {
    if (op === "remove") return;
    container[key] = {};
  }
  setOrDelete(container[key] as Record<string, unknown>, sub, op, value);
}

function applyFiltered(container: Record<string, unknown>, key: string, op: Op, filter: Filter, sub: string | null, value: unknown): void {
  const current = container[key];
  const list = Array.isArray(current) ? [...current] : [];
  const matched = list.filter((element) => matchesFilter(element, filter));
  if (op === "remove") {
    if (sub) for (const element of matched) if (isObject(element)) delete (element as Record<string, unknown>)[keyOf(element as Record<string, unknown>, sub)];
    const kept = sub ? list : list.filter((element) => !matched.includes(element));
    if (kept.length) container[key] = kept;
    else delete container[key];
    return;
  }
  if (matched.length === 0) {
    // Entra sends Add/Replace on emails[type eq "work"].value when there is no work e-mail yet:
    // create the element the filter describes, as it expects.
    const template = equalityTemplate(filter);
    if (!template) return fail("noTarget", `no value of ${key} matches the filter`);
    const element = sub ? { ...template, [sub]: value } : isObject(value) ? { ...template, ...(value as object) } : fail("invalidValue", "value must be an object");
    list.push(element);
    container[key] = singlePrimary(list, [element]);
    return;
  }
  for (const element of matched) {
    if (!isObject(element)) continue;
    const record = element as Record<string, unknown>;
    if (sub) setOrDelete(record, sub, op, value);
    else if (isObject(value)) for (const [k, v] of Object.entries(value as Record<string, unknown>)) record[keyOf(record, k)] = v;
    else fail("invalidValue", "value must be an object when the path selects whole elements");
  }
  container[key] = singlePrimary(list, matched);
}

function setOrDelete(record: Record<string, unknown>, name: string, op: Op, value: unknown): void {
  const key = keyOf(record, name);
  if (op === "remove") delete record[key];
  else record[key] = value;
}

/** The element a filter such as `type eq "work" and primary eq true` describes, or null. */
function equalityTemplate(filter: Filter): Record<string, unknown> | null {
  if (filter.kind === "compare" && filter.op === "eq" && !filter.attr.uri && !filter.attr.sub && filter.value !== null) {
    return { [filter.attr.name]: filter.value };
  }
  if (filter.kind === "and") {
    const left = equalityTemplate(filter.left);
    const right = equalityTemplate(filter.right);
    return left && right ? { ...left, ...right } : null;
  }
  return null;
}

/** A path naming a whole extension ("urn:...:enterprise:2.0:User") targets that top-level key. */
function wholeExtension(root: ScimResource, attr: AttrPath): AttrPath {
  if (!attr.uri || attr.sub) return attr;
  const full = `${attr.uri}:${attr.name}`;
  const lower = full.toLowerCase();
  const schemas = Array.isArray(root.schemas) ? root.schemas : [];
  const known =
    Object.keys(root).some((k) => k.toLowerCase() === lower) ||
    schemas.some((s) => typeof s === "string" && s.toLowerCase() === lower) ||
    KNOWN_EXTENSIONS.some((s) => s.toLowerCase() === lower);
  return known ? { uri: null, name: full, sub: null } : attr;
}

/** The object holding `attr`: the resource itself, or its extension object (created on write). */
function containerOf(root: ScimResource, attr: AttrPath, create: boolean): Record<string, unknown> | null {
  if (!attr.uri || /^urn:ietf:params:scim:schemas:core:2\.0:/i.test(attr.uri)) return root;
  const key = keyOf(root, attr.uri);
  if (!isObject(root[key])) {
    if (!create) return null;
    root[key] = {};
    const schemas = Array.isArray(root.schemas) ? root.schemas : [];
    if (!schemas.some((s) => typeof s === "string" && s.toLowerCase() === attr.uri!.toLowerCase())) root.schemas = [...schemas, attr.uri];
  }
  return root[key] as Record<string, unknown>;
}

/** The existing key matching `name` ignoring case, else `name` as given. */
function keyOf(record: Record<string, unknown>, name: string): string {
  if (name in record) return name;
  const lower = name.toLowerCase();
  return Object.keys(record).find((k) => k.toLowerCase() === lower) ?? name;
}

/** Multi-valued elements are the same when their value (and type, if both have one) match. */
function sameElement(a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b)) {
    const av = getIgnoringCase(a, "value");
    const bv = getIgnoringCase(b, "value");
    if (av !== undefined && bv !== undefined) {
      const at = getIgnoringCase(a, "type");
      const bt = getIgnoringCase(b, "type");
      return av === bv && (at === undefined || bt === undefined || at === bt);
    }
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

const isPrimary = (v: unknown) => isObject(v) && [true, "true", "True"].includes(getIgnoringCase(v, "primary") as never);

/** RFC 7643 §2.4: at most one primary value; the one just written wins. */
function singlePrimary(list: unknown[], written: unknown[]): unknown[] {
  if (list.filter(isPrimary).length <= 1) return list;
  const keep = written.find(isPrimary) ?? list.find(isPrimary);
  return list.map((item) => {
    if (item === keep || !isPrimary(item)) return item;
    const copy = { ...(item as Record<string, unknown>) };
    copy[keyOf(copy, "primary")] = false;
    return copy;
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
