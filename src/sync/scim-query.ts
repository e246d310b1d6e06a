// SCIM list queries: a parsed filter (src/scim/filter-parser.ts) compiled into a parameterised SQL
// condition over one directory's users or groups, with startIndex / count paging (RFC 7644 §3.4.2).
// Attribute names are matched case-insensitively; user input only ever reaches SQL as parameters.
import { and, asc, count as countRows, eq, getTableColumns, sql, type Placeholder, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { directoryGroups, directoryUsers, groupMemberships } from "../db/schema.js";
import { GatewayError } from "../errors.js";
import type { AttrPath, CompValue, Filter } from "../normalize/scim-filter.js";
import { idsByUserName, type MemberRef } from "./lookup.js";
import type { GroupRow, UserRow } from "./render.js";
import type { DirectoryScope } from "./scope.js";

/** One page of a SCIM list: the rows and how many match in all. */
export interface ScimPage<Row> {
  total: number;
  rows: Row[];
}

/** startIndex is 1-based (RFC 7644 §3.4.2.4); count 0 asks for the total alone. */
export interface ScimPaging {
  startIndex: number;
  count: number;
}

type ResourceKind = "User" | "Group";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CORE_URN = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group)$/i;

/** Multi-valued attributes of RFC 7643 §4.1.2 / §4.2 that live in raw_attributes. */
const MULTI_VALUED = new Set(["emails", "phonenumbers", "ims", "photos", "addresses", "entitlements", "roles", "x509certificates"]);

/** Canonical spelling of core attributes, so "USERNAME" and "userName" read the same JSON key. */
const CANONICAL_NAMES = new Map(
  [
    "userName", "name", "displayName", "nickName", "profileUrl", "title", "userType", "preferredLanguage", "locale",
    "timezone", "active", "emails", "phoneNumbers", "ims", "photos", "addresses", "entitlements", "roles",
    "x509Certificates", "externalId", "formatted", "familyName", "givenName", "middleName", "honorificPrefix",
    "honorificSuffix", "value", "display", "type", "primary", "streetAddress", "locality", "region", "postalCode",
    "country", "employeeNumber", "costCenter", "organization", "division", "department", "manager",
  ].map((n) => [n.toLowerCase(), n]),
);

const canonical = (name: string) => CANONICAL_NAMES.get(name.toLowerCase()) ?? name;

/** A value to compare: its text form, its JSON form when it has one, and how strings compare. */
interface Operand {
  text: SQL;
  json: SQL | null;
  caseExact: boolean;
  dateTime?: boolean;
}

const invalid = (detail: string) => new GatewayError("invalid_filter", `invalid filter: ${detail}`, { scimType: "invalidFilter" });

/** A user row with its groups (ordered by group id) when they were asked for, else null. */
export type ScimUserRow = UserRow & { groupRefs: MemberRef[] | null };

/** Lists users; with `withGroups`, each row's groups come in the same query (a list is one round trip). */
export async function listScimUsers(db: Db, scope: DirectoryScope, filter: Filter | null, paging: ScimPaging, withGroups = false): Promise<ScimPage<ScimUserRow>> {
  const where = and(eq(directoryUsers.directoryId, scope.directoryId), filter ? compile(filter, "User") : undefined);
  const rows = paging.count > 0
    ? await selectScimUsers(db, scope.directoryId, withGroups).where(where).orderBy(asc(directoryUsers.id)).offset(paging.startIndex - 1).limit(paging.count)
    : [];
  return { rows: rows.map(withGroupRefs), total: await totalOf(db, directoryUsers, where, paging, rows.length) };
}

/** One user with its groups, in one query; null when the directory has no such user. */
export async function getScimUser(db: Db, scope: DirectoryScope, id: string): Promise<ScimUserRow | null> {
  const [row] = await selectScimUsers(db, scope.directoryId, true).where(and(eq(directoryUsers.directoryId, scope.directoryId), eq(directoryUsers.id, id)));
  return row ? withGroupRefs(row) : null;
}

/**
 * Users whose userName equals one of `userNames` ignoring case (what `userName eq "…"` matches), all
 * in one query, so concurrent lookups can share it (src/scim/user-lookups.ts). Each row comes with
 * its userName as Postgres lower-cases it (`key`).
 */
export async function findScimUsersByUserNames(db: Db, scope: DirectoryScope, userNames: string[], withGroups: boolean): Promise<(ScimUserRow & { key: string })[]> {
  if (userNames.length === 0) return [];
  const rows = await usersByUserNames(db, withGroups).execute({ directoryId: scope.directoryId, userNames: JSON.stringify(userNames) });
  return rows.map((row) => ({ ...withGroupRefs(row), key: row.key ?? "" }));
}

// findScimUsersByUserNames' statement, built once per database handle and variant: drizzle's building of
// a select of every user column was a tenth of the gateway's CPU for a batch of lookups.
const usersByUserNamesQueries = new WeakMap<Db, Map<boolean, ReturnType<typeof buildUsersByUserNames>>>();

function usersByUserNames(db: Db, withGroups: boolean) {
  let queries = usersByUserNamesQueries.get(db);
  if (!queries) usersByUserNamesQueries.set(db, (queries = new Map()));
  let query = queries.get(withGroups);
  if (!query) queries.set(withGroups, (query = buildUsersByUserNames(db, withGroups)));
  return query;
}

function buildUsersByUserNames(db: Db, withGroups: boolean) {
  const directoryId = sql.placeholder("directoryId");
  return selectScimUsers(db, directoryId, withGroups, sql<string | null>`lower(${directoryUsers.username})`)
    .where(and(eq(directoryUsers.directoryId, directoryId), sql`${directoryUsers.id} = any(array(${idsByUserName(directoryId, sql.placeholder("userNames"))}))`))
    .orderBy(asc(directoryUsers.id))
    .prepare(`scim_users_by_user_names${withGroups ? "_with_groups" : ""}`);
}

function selectScimUsers(db: Db, directoryId: string | Placeholder, withGroups: boolean, key: SQL<string | null> = sql<null>`null`) {
  // The user's groups as [[id, name], ...] from a correlated subquery: no second round trip. The outer
  // column is spelled out: drizzle leaves a one-table select's columns unqualified, and a bare "id"
  // here would mean the group's.
  const groups = withGroups
    ? sql<[string, string | null][]>`coalesce((select json_agg(json_build_array(g.id, g.name) order by g.id) from ${groupMemberships} m join ${directoryGroups} g on g.id = m.group_id where m.user_id = directory_users.id and m.directory_id = ${directoryId}), '[]'::json)`
    : sql<null>`null`;
  return db.select({ ...getTableColumns(directoryUsers), groupPairs: groups, key }).from(directoryUsers).$dynamic();
}

function withGroupRefs({ groupPairs, key: _key, ...row }: UserRow & { groupPairs: [string, string | null][] | string | null; key?: string | null }): ScimUserRow {
  // PGlite and postgres.js both parse json; a driver handing back text is parsed here.
  const pairs = typeof groupPairs === "string" ? (JSON.parse(groupPairs) as [string, string | null][]) : groupPairs;
  return { ...row, groupRefs: pairs ? pairs.map(([id, display]) => ({ id, display })) : null };
}

export async function listScimGroups(db: Db, scope: DirectoryScope, filter: Filter | null, paging: ScimPaging): Promise<ScimPage<GroupRow>> {
  const where = and(eq(directoryGroups.directoryId, scope.directoryId), filter ? compile(filter, "Group") : undefined);
  const rows = paging.count > 0
    ? await db.select().from(directoryGroups).where(where).orderBy(asc(directoryGroups.id)).offset(paging.startIndex - 1).limit(paging.count)
    : [];
  return { rows, total: await totalOf(db, directoryGroups, where, paging, rows.length) };
}

async function totalOf(db: Db, table: typeof directoryUsers | typeof directoryGroups, where: SQL | undefined, paging: ScimPaging, got: number): Promise<number> {
  // A first page that is not full already tells the total: lookups by userName skip the count query.
  if (paging.startIndex === 1 && got < paging.count) return got;
  const [row] = await db.select({ n: countRows() }).from(table).where(where);
  return row?.n ?? 0;
}

function compile(filter: Filter, kind: ResourceKind): SQL {
  switch (filter.kind) {
    case "and":
      return sql`(${compile(filter.left, kind)} and ${compile(filter.right, kind)})`;
    case "or":
      return sql`(${compile(filter.left, kind)} or ${compile(filter.right, kind)})`;
    case "not":
      return sql`(not coalesce(${compile(filter.filter, kind)}, false))`;
    case "valuePath": {
      const attr = normalizeAttr(filter.attr);
      if (kind === "Group" && !attr.uri && attr.name.toLowerCase() === "members") {
        // members[value eq "..."]: membership rows; value is the member's user id.
        return sql`exists (select 1 from ${groupMemberships} where ${groupMemberships.groupId} = ${directoryGroups.id} and ${compileElement(filter.filter, memberOperand)})`;
      }
      return elementExists(kind, filter.attr, (element) => compileElement(filter.filter, (name) => jsonOperand(element, [canonical(name)], false)));
    }
    case "present":
    case "compare":
      return compileAttribute(filter, kind);
  }
}

/** Filters inside a value path: attribute names are relative to one element, read by `operandOf`. */
function compileElement(filter: Filter, operandOf: (name: string) => Operand): SQL {
  switch (filter.kind) {
    case "and":
      return sql`(${compileElement(filter.left, operandOf)} and ${compileElement(filter.right, operandOf)})`;
    case "or":
      return sql`(${compileElement(filter.left, operandOf)} or ${compileElement(filter.right, operandOf)})`;
    case "not":
      return sql`(not coalesce(${compileElement(filter.filter, operandOf)}, false))`;
    case "valuePath":
      throw invalid("value paths cannot be nested");
    case "present":
    case "compare": {
      if (filter.attr.uri || filter.attr.sub) throw invalid(`"${attrText(filter.attr)}" is not a sub-attribute`);
      return condition(filter, operandOf(filter.attr.name));
    }
  }
}

function compileAttribute(filter: Extract<Filter, { kind: "present" | "compare" }>, kind: ResourceKind): SQL {
  const attr = normalizeAttr(filter.attr);
  const name = attr.name.toLowerCase();
  const sub = attr.sub?.toLowerCase() ?? null;
  const users = kind === "User";
  const table = users ? directoryUsers : directoryGroups;

  if (!attr.uri) {
    if (name === "id" && !sub) return condition(filter, { text: sql`${table.id}`, json: null, caseExact: true });
    if (name === "externalid" && !sub) {
      // The literal key matches the expression index directory_users_external_id_idx.
      return condition(filter, { text: sql`(${table.rawAttributes} ->> 'externalId')`, json: sql`(${table.rawAttributes} -> 'externalId')`, caseExact: true });
    }
    if (name === "meta" && (sub === "created" || sub === "lastmodified")) {
      const column = sub === "created" ? table.createdAt : table.updatedAt;
      return condition(filter, { text: sql`${column}`, json: null, caseExact: true, dateTime: true });
    }
    if (users && name === "username" && !sub) return condition(filter, { text: sql`${directoryUsers.username}`, json: null, caseExact: false });
    if (users && name === "active" && !sub) {
      if (filter.kind === "present") return sql`true`;
      if (typeof filter.value !== "boolean" || (filter.op !== "eq" && filter.op !== "ne")) throw invalid("active compares with eq or ne and true or false");
      const active = sql`(${directoryUsers.state} = 'active')`;
      return filter.value === (filter.op === "eq") ? active : sql`(not ${active})`;
    }
    if (!users && name === "displayname" && !sub) return condition(filter, { text: sql`${directoryGroups.name}`, json: null, caseExact: false });
    if (!users && name === "members") {
      if (sub && sub !== "value") throw invalid("members can be filtered by members.value");
      return membersCondition(filter);
    }
    if (MULTI_VALUED.has(name)) {
      return elementExists(kind, attr, (element) => condition(filter, jsonOperand(element, [canonical(attr.sub ?? "value")], false)));
    }
  }
  const keys = [...(attr.uri ? [attr.uri] : []), canonical(attr.name), ...(attr.sub ? [canonical(attr.sub)] : [])];
  return condition(filter, jsonOperand(sql`${table.rawAttributes}`, keys, false));
}

function memberOperand(name: string): Operand {
  if (name.toLowerCase() === "value") return { text: sql`${groupMemberships.userId}`, json: null, caseExact: true };
  if (name.toLowerCase() === "type") return { text: sql`'User'`, json: null, caseExact: false };
  throw invalid(`members can be filtered by value or type, not ${name}`);
}

/** members[value eq "..."] and members.value eq "...": membership rows, not raw JSON. */
function membersCondition(filter: Extract<Filter, { kind: "present" | "compare" }>): SQL {
  const exists = (extra: SQL | undefined) =>
    sql`exists (select 1 from ${groupMemberships} where ${groupMemberships.groupId} = ${directoryGroups.id}${extra ? sql` and ${extra}` : sql``})`;
  if (filter.kind === "present") return exists(undefined);
  if (filter.op !== "eq" || typeof filter.value !== "string") throw invalid('members can be filtered with members.value eq "<id>" or members pr');
  return exists(sql`${groupMemberships.userId} = ${filter.value}`);
}

function elementExists(kind: ResourceKind, attr: AttrPath, where: (element: SQL) => SQL): SQL {
  const normalized = normalizeAttr(attr);
  if (kind === "Group" && !normalized.uri && normalized.name.toLowerCase() === "members") {
    throw invalid('members can be filtered with members.value eq "<id>"');
  }
  const table = kind === "User" ? directoryUsers : directoryGroups;
  const keys = [...(normalized.uri ? [normalized.uri] : []), canonical(normalized.name)];
  const array = jsonPath(sql`${table.rawAttributes}`, keys);
  const element = sql.raw("scim_el.value");
  return sql`exists (select 1 from jsonb_array_elements(case when jsonb_typeof(${array}) = 'array' then ${array} else '[]'::jsonb end) as scim_el where ${where(element)})`;
}

function jsonPath(base: SQL, keys: string[]): SQL {
  return keys.reduce((acc, key) => sql`(${acc} -> ${key}::text)`, base);
}

function jsonOperand(base: SQL, keys: string[], caseExact: boolean): Operand {
  const json = jsonPath(base, keys);
  return { text: sql`(${json} #>> '{}')`, json, caseExact };
}

/** The core schema URN is optional; extension URNs keep their canonical spelling. */
function normalizeAttr(attr: AttrPath): AttrPath {
  if (!attr.uri) return attr;
  if (CORE_URN.test(attr.uri)) return { ...attr, uri: null };
  return { ...attr, uri: attr.uri.toLowerCase() === ENTERPRISE.toLowerCase() ? ENTERPRISE : attr.uri };
}

function attrText(attr: AttrPath): string {
  return `${attr.uri ? `${attr.uri}:` : ""}${attr.name}${attr.sub ? `.${attr.sub}` : ""}`;
}

/** RFC 7644 §3.4.2.2 comparison of one operand with the filter's value. */
function condition(filter: Extract<Filter, { kind: "present" | "compare" }>, operand: Operand): SQL {
  const present = operand.json
    ? sql`(${operand.json} is not null and jsonb_typeof(${operand.json}) <> 'null' and ${operand.json} not in ('""'::jsonb, '[]'::jsonb, '{}'::jsonb))`
    : sql`(${operand.text} is not null and ${operand.text}::text <> '')`;
  if (filter.kind === "present") return present;
  const { op, value } = filter;
  if (value === null) {
    if (op === "eq") return sql`(not ${present})`;
    if (op === "ne") return present;
    throw invalid(`${op} cannot compare with null`);
  }
  const positive = op === "ne" ? "eq" : op;
  const test = compare(operand, positive, value);
  // The bare comparison (NULL when the attribute is absent, which WHERE reads as false) keeps the
  // expression indexes usable; only negations need NULL turned into false first.
  return op === "ne" ? sql`(not coalesce(${test}, false))` : test;
}

function compare(operand: Operand, op: string, value: Exclude<CompValue, null>): SQL {
  if (typeof value === "boolean") {
    if (op !== "eq") throw invalid(`${op} cannot compare booleans`);
    return sql`(lower(${operand.text}) = ${String(value)})`;
  }
  if (operand.dateTime) {
    if (typeof value !== "string" || Number.isNaN(Date.parse(value))) throw invalid("meta dates compare with a quoted dateTime");
    const at = new Date(value).toISOString();
    const ops: Record<string, SQL> = {
      eq: sql`(${operand.text} = ${at}::timestamptz)`,
      gt: sql`(${operand.text} > ${at}::timestamptz)`,
      ge: sql`(${operand.text} >= ${at}::timestamptz)`,
      lt: sql`(${operand.text} < ${at}::timestamptz)`,
      le: sql`(${operand.text} <= ${at}::timestamptz)`,
    };
    const found = ops[op];
    if (!found) throw invalid(`${op} cannot compare dates`);
    return found;
  }
  if (typeof value === "number") {
    if (["co", "sw", "ew"].includes(op)) throw invalid(`${op} cannot compare numbers`);
    const number = operand.json
      ? sql`(case when jsonb_typeof(${operand.json}) = 'number' then (${operand.json})::numeric end)`
      : sql`(case when ${operand.text} ~ '^-?[0-9]+(\\.[0-9]+)?$' then (${operand.text})::numeric end)`;
    return sql`(${number} ${sql.raw(numericOperator(op))} ${value}::numeric)`;
  }
  const a = operand.caseExact ? operand.text : sql`lower(${operand.text})`;
  const b = operand.caseExact ? sql`${value}::text` : sql`lower(${value}::text)`;
  switch (op) {
    case "eq":
      return sql`(${a} = ${b})`;
    case "co":
      return sql`(strpos(${a}, ${b}) > 0)`;
    case "sw":
      return sql`starts_with(${a}, ${b})`;
    case "ew":
      return sql`(right(${a}, length(${b})) = ${b})`;
    default:
      return sql`(${a} ${sql.raw(numericOperator(op))} ${b})`;
  }
}

/** Maps a filter operator onto a fixed SQL operator; never user text. */
function numericOperator(op: string): string {
  const map: Record<string, string> = { eq: "=", gt: ">", ge: ">=", lt: "<", le: "<=" };
  const found = map[op];
  if (!found) throw invalid(`unsupported operator ${op}`);
  return found;
}
