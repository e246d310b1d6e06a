// Organizations: create, read, delete. Owns the organizations table; deleting one deletes its
// directories through the reconciler so the app hears dsync.deleted for each.
import { and, asc, desc, eq, gt, ilike, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { fetchPage, type Keyset, type PageRequest } from "../db/paginate.js";
import { directories, organizations, type StoredDomain } from "../db/schema.js";
import { GatewayError } from "../errors.js";
import { newId, type Organization } from "../model/index.js";
import { containing, type Access, type Page, type Reconciler } from "../sync/index.js";

export interface NewOrganization {
  name: string;
  external_id?: string | null | undefined;
  metadata?: Record<string, string> | undefined;
  domains?: { domain: string; state: "verified" | "pending" }[] | undefined;
}

export interface OrganizationFilter {
  domains?: string[] | undefined;
  search?: string | undefined;
}

type OrganizationRow = typeof organizations.$inferSelect;

const keyset: Keyset = {
  greater: (c) => gt(organizations.id, c),
  less: (c) => lt(organizations.id, c),
  ascending: [asc(organizations.id)],
  descending: [desc(organizations.id)],
};

export async function createOrganization(db: Db, input: NewOrganization, now: Date): Promise<Organization> {
  if (input.external_id) {
    const [clash] = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.externalId, input.external_id));
    if (clash) throw new GatewayError("conflict", `an organization with external_id ${input.external_id} already exists`);
  }
  const domains: StoredDomain[] = (input.domains ?? []).map((d) => ({
    id: newId("organization_domain"),
    domain: d.domain.toLowerCase(),
    state: d.state,
    created_at: now.toISOString(),
  }));
  const [row] = await db
    .insert(organizations)
    .values({
      id: newId("organization"),
      name: input.name,
      externalId: input.external_id ?? null,
      metadata: input.metadata ?? {},
      domains,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return toOrganization(row!);
}

export async function listOrganizations(db: Db, access: Access, filter: OrganizationFilter, request: PageRequest): Promise<Page<Organization>> {
  const conditions: (SQL | undefined)[] = [
    access.kind === "organization" ? eq(organizations.id, access.organizationId) : undefined,
    filter.search ? ilike(organizations.name, containing(filter.search)) : undefined,
    ...(filter.domains ?? []).map((d) => sql`${organizations.domains} @> ${JSON.stringify([{ domain: d.toLowerCase() }])}::jsonb`),
  ];
  const { rows, list_metadata } = await fetchPage(request, keyset, (cursor, orderBy, limit) =>
    db.select().from(organizations).where(and(...conditions, cursor)).orderBy(...orderBy).limit(limit),
  );
  return { data: rows.map(toOrganization), list_metadata };
}

export async function getOrganization(db: Db, access: Access, id: string): Promise<Organization | null> {
  if (access.kind === "organization" && access.organizationId !== id) return null;
  const [row] = await db.select().from(organizations).where(eq(organizations.id, id));
  return row ? toOrganization(row) : null;
}

/** Deletes the organization after deleting each of its directories (dsync.deleted for each). */
export async function deleteOrganization(db: Db, reconciler: Reconciler, access: Access, id: string): Promise<boolean> {
  if (!(await getOrganization(db, access, id))) return false;
  const owned = await db.select({ id: directories.id }).from(directories).where(eq(directories.organizationId, id));
  for (const directory of owned) await reconciler.deleteDirectory({ organizationId: id, directoryId: directory.id });
  await db.delete(organizations).where(eq(organizations.id, id));
  return true;
}

function toOrganization(row: OrganizationRow): Organization {
  return {
    object: "organization",
    id: row.id,
    name: row.name,
    allow_profiles_outside_organization: row.allowProfilesOutsideOrganization,
    domains: row.domains.map((d) => ({
      object: "organization_domain",
      id: d.id,
      organization_id: row.id,
      domain: d.domain,
      state: d.state,
      verification_strategy: "manual",
      created_at: d.created_at,
      updated_at: d.created_at,
    })),
    external_id: row.externalId,
    metadata: row.metadata,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
