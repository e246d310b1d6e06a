// What the Directory API routes share: the context they run against, the JSON response helper
// (Google answers `application/json; charset=UTF-8`), scope and admin checks, the customer/domain
// rule, and sorted-list caches keyed by the directory's mutation counter.
import type { Context } from "hono";
import type { TokenGrant } from "./auth.js";
import type { ChannelRegistry } from "./channels.js";
import type { GoogleDirectory, StoredGroup, StoredUser } from "./directory.js";
import { badRequest, forbidden, insufficientScopes } from "./errors.js";
import type { SortKey } from "./paging.js";

/** Everything a route handler needs; built once by the emulator. */
export interface ApiContext {
  dir: GoogleDirectory;
  channels: ChannelRegistry;
  now(): number;
  /** Origin written into resourceUri values (Google's by default). */
  publicBaseUrl(): string;
  sorted: SortedLists;
}

/** Hono variables the auth middleware sets. */
export interface ApiEnv {
  Variables: { grant: TokenGrant };
}

export function googleJson(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=UTF-8" } });
}

/** 403 insufficientPermissions unless the token carries one of `scopes`. */
export function requireScope(c: Context<ApiEnv>, ...scopes: string[]): void {
  const grant = c.get("grant");
  if (!scopes.some((s) => grant.scopes.has(s))) throw insufficientScopes();
}

/** Only admins (super or delegated) may read the directory; anyone else gets Google's 403. */
export function requireAdmin(dir: GoogleDirectory, grant: TokenGrant): void {
  const user = dir.findUser(grant.subject);
  if (!user || !(user.fields.isAdmin || user.fields.isDelegatedAdmin) || user.fields.suspended) throw forbidden();
}

/**
 * The customer/domain rule of users.list and groups.list: one of them is required, `my_customer`
 * means the caller's account, and a domain the account does not own is a 403.
 */
export function resolveScope(dir: GoogleDirectory, customer: string | undefined, domain: string | undefined): { domain?: string } {
  if (!customer && !domain) throw badRequest("Bad Request");
  if (customer && customer !== "my_customer" && customer !== dir.customerId) throw badRequest("Bad Request");
  if (domain && !dir.domains.includes(domain.toLowerCase())) throw forbidden();
  return domain ? { domain: domain.toLowerCase() } : {};
}

export const emailDomain = (email: string) => email.slice(email.lastIndexOf("@") + 1).toLowerCase();

export type UserOrderBy = "default" | "email" | "givenName" | "familyName";

export function userSortKey(orderBy: UserOrderBy): (u: StoredUser) => SortKey {
  switch (orderBy) {
    case "default":
      return (u) => [u.seq];
    case "email":
      return (u) => [u.fields.primaryEmail.toLowerCase(), u.seq];
    case "givenName":
      return (u) => [u.fields.name.givenName.toLowerCase(), u.seq];
    case "familyName":
      return (u) => [u.fields.name.familyName.toLowerCase(), u.seq];
  }
}

export type GroupOrderBy = "default" | "email";

export function groupSortKey(orderBy: GroupOrderBy): (g: StoredGroup) => SortKey {
  return orderBy === "email" ? (g) => [g.fields.email.toLowerCase(), g.seq] : (g) => [g.seq];
}

/**
 * Sorted snapshots of the user and group lists, rebuilt only after a mutation: paging 100,000 users
 * 500 at a time must not re-sort on every page.
 */
export class SortedLists {
  private readonly cache = new Map<string, { at: number; items: unknown[] }>();

  constructor(private readonly dir: GoogleDirectory) {}

  users(orderBy: UserOrderBy, descending: boolean, deleted: boolean): StoredUser[] {
    const load = () => (deleted ? this.dir.deletedUsers() : [...this.dir.liveUsers()]);
    // The deleted list also depends on the clock (the recovery window), so it is never cached.
    return this.get(`users|${orderBy}|${descending}`, load, userSortKey(orderBy), descending, !deleted);
  }

  groups(orderBy: GroupOrderBy, descending: boolean): StoredGroup[] {
    return this.get(`groups|${orderBy}|${descending}`, () => [...this.dir.allGroups()], groupSortKey(orderBy), descending, true);
  }

  private get<T>(key: string, load: () => T[], keyOf: (item: T) => SortKey, descending: boolean, cacheable: boolean): T[] {
    const hit = this.cache.get(key);
    if (cacheable && hit && hit.at === this.dir.mutations) return hit.items as T[];
    const items = load();
    const keys = new Map<T, SortKey>(items.map((i) => [i, keyOf(i)]));
    const sign = descending ? -1 : 1;
    items.sort((a, b) => sign * compare(keys.get(a)!, keys.get(b)!));
    if (!cacheable) return items;
    this.cache.set(key, { at: this.dir.mutations, items });
    return items;
  }
}

function compare(a: SortKey, b: SortKey): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
}
