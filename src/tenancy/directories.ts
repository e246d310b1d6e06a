// Directories: create and read. Owns inserts into the directories table; state changes and
// deletion go through the reconciler, because they emit events.
import { and, asc, desc, eq, gt, ilike, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { fetchPage, type Keyset, type PageRequest } from "../db/paginate.js";
import { directories, organizations } from "../db/schema.js";
import { GatewayError } from "../errors.js";
import { newId, type Directory, type DirectoryType } from "../model/index.js";
import { toDirectory } from "../sync/render.js";
import { containing, type Access, type DirectoryScope, type Page } from "../sync/index.js";

export interface NewDirectory {
  organization_id: string;
  type: DirectoryType;
  name: string;
  domain?: string | null | undefined;
}

export interface DirectoryFilter {
  organizationId?: string | undefined;
  search?: string | undefined;
}

const keyset: Keyset = {
  greater: (c) => gt(directories.id, c),
  less: (c) => lt(directories.id, c),
  ascending: [asc(directories.id)],
  descending: [desc(directories.id)],
};

export async function createDirectory(db: Db, access: Access, input: NewDirectory, now: Date): Promise<Directory> {
  const [organization] = await db
    .select({ id: organizations.id })
    .from(organizations)
    .where(and(eq(organizations.id, input.organization_id), orgAccess(access, organizations.id)));
  if (!organization) {
    throw new GatewayError("invalid_input", `organization not found: ${input.organization_id}`, {
      fields: [{ field: "organization_id", code: "not_found", message: "no such organization" }],
    });
  }
  const [row] = await db
    .insert(directories)
    .values({
      id: newId("directory"),
      organizationId: input.organization_id,
      type: input.type,
      name: input.name,
      state: "unlinked",
      domain: input.domain ?? null,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return toDirectory(row!);
}

export async function listDirectories(db: Db, access: Access, filter: DirectoryFilter, request: PageRequest): Promise<Page<Directory>> {
  const conditions: (SQL | undefined)[] = [
    orgAccess(access, directories.organizationId),
    filter.organizationId ? eq(directories.organizationId, filter.organizationId) : undefined,
    filter.search ? ilike(directories.name, containing(filter.search)) : undefined,
  ];
  const { rows, list_metadata } = await fetchPage(request, keyset, (cursor, orderBy, limit) =>
    db.select().from(directories).where(and(...conditions, cursor)).orderBy(...orderBy).limit(limit),
  );
  return { data: rows.map(toDirectory), list_metadata };
}

export async function getDirectory(db: Db, access: Access, id: string): Promise<Directory | null> {
  const [row] = await db
    .select()
    .from(directories)
    .where(and(eq(directories.id, id), orgAccess(access, directories.organizationId)));
  return row ? toDirectory(row) : null;
}

/** The scope of a directory the caller may see, or a not_found error. */
export async function requireDirectoryScope(db: Db, access: Access, id: string): Promise<DirectoryScope> {
  const directory = await getDirectory(db, access, id);
  if (!directory) throw new GatewayError("not_found", `directory not found: ${id}`);
  return { organizationId: directory.organization_id, directoryId: directory.id };
}

function orgAccess(access: Access, column: typeof directories.organizationId | typeof organizations.id): SQL | undefined {
  return access.kind === "organization" ? eq(column, access.organizationId) : undefined;
}
