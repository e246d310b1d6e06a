// Parses the subset of the users.list and groups.list `query` languages the emulator supports
// (idp-apis.md §2.3, §2.4): space-separated clauses ANDed together, `field=value` (exact) and `field:value` (word / prefix with
// a trailing *), values optionally in single quotes. Pure; returns a predicate or an error.
import type { StoredGroup, StoredUser } from "./directory.js";

export type UserPredicate = (user: StoredUser) => boolean;
export type ParseResult = { ok: true; value: UserPredicate } | { ok: false; error: string };

interface Clause {
  field: string;
  /** Google also has `>`, `<` and friends for a few fields; they are parsed so they can be refused. */
  op: "=" | ":" | ">" | "<" | ">=" | "<=";
  value: string;
}

export function parseUserQuery(query: string): ParseResult {
  const tokens = tokenize(query.trim());
  if (!tokens.ok) return tokens;
  const predicates: UserPredicate[] = [];
  for (const clause of tokens.value) {
    const p = clausePredicate(clause);
    if (!p) return { ok: false, error: `unsupported query clause ${clause.field}${clause.op}${clause.value}` };
    predicates.push(p);
  }
  return { ok: true, value: (u) => predicates.every((p) => p(u)) };
}

function tokenize(q: string): { ok: true; value: Clause[] } | { ok: false; error: string } {
  const clauses: Clause[] = [];
  const re = /\s*([A-Za-z_][\w.]*)?(>=|<=|[=:<>])?('([^']*)'|"([^"]*)"|[^\s]*)/y;
  let pos = 0;
  while (pos < q.length) {
    re.lastIndex = pos;
    const m = re.exec(q);
    if (!m || m[0].length === 0) return { ok: false, error: `cannot parse query at ${pos}` };
    pos = re.lastIndex;
    const [, field, op, raw, single, double] = m;
    const value = single ?? double ?? raw ?? "";
    if (!field && !op && value === "") continue;
    if (field && op) clauses.push({ field, op: op as Clause["op"], value });
    // A bare word searches names and emails.
    else clauses.push({ field: "", op: ":", value: `${field ?? ""}${op ?? ""}${value}` });
  }
  return { ok: true, value: clauses };
}

function bool(value: string): boolean | undefined {
  return value === "true" ? true : value === "false" ? false : undefined;
}

function addressesOf(u: StoredUser): string[] {
  const f = u.fields;
  return [f.primaryEmail, ...(f.aliases ?? []), ...(f.emails ?? []).map((e) => e.address)].map((a) => a.toLowerCase());
}

/** `:` matches a whole word or, with a trailing `*`, a prefix; `=` matches the whole value. */
function textMatch(op: "=" | ":", candidates: string[], value: string): boolean {
  const v = value.toLowerCase();
  if (op === "=") return candidates.some((c) => c.toLowerCase() === v);
  const prefix = v.endsWith("*");
  const needle = prefix ? v.slice(0, -1) : v;
  return candidates.some((c) => {
    const lc = c.toLowerCase();
    if (prefix ? lc.startsWith(needle) : lc === needle) return true;
    return lc.split(/[\s@.]+/).some((word) => (prefix ? word.startsWith(needle) : word === needle)) || (!prefix && lc.includes(` ${needle}`));
  });
}

function clausePredicate(clause: Clause): UserPredicate | null {
  const { field, value } = clause;
  if (clause.op !== "=" && clause.op !== ":") return null;
  const op = clause.op;
  switch (field) {
    case "orgUnitPath":
      // Google matches the org unit and every org unit below it.
      return (u) => {
        const path = u.fields.orgUnitPath ?? "/";
        return value === "/" || path === value || path.startsWith(`${value}/`);
      };
    case "isSuspended":
    case "isAdmin":
    case "isDelegatedAdmin":
    case "isArchived": {
      const b = bool(value);
      if (b === undefined) return null;
      const key = ({ isSuspended: "suspended", isAdmin: "isAdmin", isDelegatedAdmin: "isDelegatedAdmin", isArchived: "archived" } as const)[field];
      return (u) => (u.fields[key] ?? false) === b;
    }
    case "email":
      return (u) => textMatch(op, addressesOf(u), value);
    case "givenName":
      return (u) => textMatch(op, [u.fields.name.givenName], value);
    case "familyName":
      return (u) => textMatch(op, [u.fields.name.familyName], value);
    case "name":
      return (u) => textMatch(op, [`${u.fields.name.givenName} ${u.fields.name.familyName}`, u.fields.name.givenName, u.fields.name.familyName], value);
    case "externalId":
      return (u) => (u.fields.externalIds ?? []).some((e) => e.value.toLowerCase() === value.toLowerCase());
    case "":
      return (u) => textMatch(":", [...addressesOf(u), u.fields.name.givenName, u.fields.name.familyName], value.endsWith("*") ? value : `${value}*`);
    default: {
      // Custom schema fields: `Schema.Field=value`.
      const dot = field.indexOf(".");
      if (dot <= 0) return null;
      const schema = field.slice(0, dot);
      const name = field.slice(dot + 1);
      return (u) => {
        const v = u.fields.customSchemas?.[schema]?.[name];
        const values = Array.isArray(v) ? v.map((x) => (typeof x === "object" && x && "value" in x ? String(x.value) : String(x))) : v === undefined ? [] : [String(v)];
        return textMatch(op, values, value);
      };
    }
  }
}

export type GroupPredicate = (group: StoredGroup) => boolean;

/** groups.list supports `email:` and `name:` (prefix with a trailing *), ANDed. */
export function parseGroupQuery(query: string): { ok: true; value: GroupPredicate } | { ok: false; error: string } {
  const tokens = tokenize(query.trim());
  if (!tokens.ok) return tokens;
  const predicates: GroupPredicate[] = [];
  for (const { field, op, value } of tokens.value) {
    if (op !== "=" && op !== ":") return { ok: false, error: `unsupported operator ${op}` };
    if (field === "email") predicates.push((g) => textMatch(op, [g.fields.email, ...(g.fields.aliases ?? [])], value));
    else if (field === "name") predicates.push((g) => textMatch(op, [g.fields.name], value));
    else return { ok: false, error: `unsupported query clause ${field}${op}${value}` };
  }
  return { ok: true, value: (g) => predicates.every((p) => p(g)) };
}
