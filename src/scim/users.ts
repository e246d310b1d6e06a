// /Users (RFC 7644 §3): create, read, list with filters, replace, patch, delete. Every write goes
// through normalize and a reconciler.write, so the uniqueness check and the write share the directory
// lock (creates waiting together share one, see user-creates.ts); reads come from sync's lookup and
// scim-query functions, scoped to the directory.
import { Hono, type Context } from "hono";
import { normalizeEntraBooleans, normalizeScimUser, userMappingFor } from "../normalize/index.js";
import { ops, type DirectoryScope } from "../sync/index.js";
import { findUserIdByUserName, getUserRow, type MemberRef, type UserRow } from "../sync/lookup.js";
import { getScimUser, listScimUsers, type ScimPage, type ScimUserRow } from "../sync/scim-query.js";
import { resolveManagerRefs } from "../sync/manager-refs.js";
import { readScimBody } from "./body.js";
import type { ScimEnv } from "./env.js";
import { scimError, scimJson } from "./errors.js";
import { getIgnoringCase } from "../normalize/scim-filter-match.js";
import { listResponse, readListQuery, readProjection, readSearchBody, type ListQuery } from "./list-query.js";
import { applyPatchOps } from "./patch.js";
import { readPatchOperations } from "./patch-request.js";
import { hasSchema, MAX_KEY_LENGTH, project, projects, renderScimResource, storableResource, USER_SCHEMA, versionOf, type StoredResource } from "./resources.js";
import type { ScimOptions } from "./options.js";
import { scimUserCreates } from "./user-creates.js";
import { scimUserDeletes } from "./user-deletes.js";
import { scimUserWrites } from "./user-writes.js";
import type { UserNameLookups } from "./user-lookups.js";
import type { DirectoryUser } from "../model/index.js";

type C = Context<ScimEnv>;

export function usersApp(options: ScimOptions, lookups: UserNameLookups): Hono<ScimEnv> {
  const location = (c: C, id: string) => `${options.baseUrlOf(c.get("scope").directoryId)}/Users/${id}`;
  const respond = (c: C, stored: StoredResource, status = 200) => {
    const rendered = renderScimResource("User", stored, location(c, stored.id));
    // The ETag is meta.version, hashed once (before a projection may drop meta).
    const etag = (rendered.meta as { version: string }).version;
    return scimJson(c, project(rendered, readProjection(c)), status, { etag, ...(status === 201 ? { location: location(c, stored.id) } : {}) });
  };

  const list = async (c: C, query: ListQuery) => {
    const withGroups = projects(query.projection, "groups");
    const userName = plainUserNameLookup(query);
    // The IdPs' lookup before a write: answered by a query shared with concurrent lookups (user-lookups.ts).
    const page: ScimPage<ScimUserRow> =
      userName !== null
        ? pageOf(await lookups.find(c.get("scope"), userName, withGroups), query.count)
        : await listScimUsers(c.get("deps").db, c.get("scope"), query.filter, query, withGroups);
    const resources = page.rows.map((row) =>
      project(renderScimResource("User", fromRow(row, withGroups ? row.groupRefs : null), location(c, row.id)), query.projection),
    );
    return scimJson(c, listResponse(resources, page.total, query.startIndex));
  };

  return new Hono<ScimEnv>()
    .get("/", (c) => list(c, readListQuery(c, options.maxResults)))
    .post("/.search", async (c) => list(c, readSearchBody(await readScimBody(c, options.maxBodyBytes), options.maxResults)))
    .post("/", async (c) => {
      const body = userBody(await readScimBody(c, options.maxBodyBytes));
      const userName = body.userName as string;
      const externalId = typeof body.externalId === "string" && body.externalId !== "" ? body.externalId : null;
      // Creates waiting for the directory are written together (see user-creates.ts).
      const user = await c.get("deps").reconciler.writeBatched(c.get("scope"), scimUserCreates, { resource: body, userName, externalId });
      return respond(c, fromDirectoryUser(user), 201);
    })
    .get("/:id", async (c) => {
      const row = await getScimUser(c.get("deps").db, c.get("scope"), c.req.param("id"));
      if (!row) throw userNotFound(c.req.param("id"));
      const stored = fromRow(row, row.groupRefs ?? []);
      const etag = versionOf(stored);
      if (c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers: { etag } });
      return respond(c, stored);
    })
    .put("/:id", async (c) => {
      const body = userBody(await readScimBody(c, options.maxBodyBytes));
      const user = await writeUser(c, c.req.param("id"), () => body);
      return respond(c, fromDirectoryUser(user));
    })
    .patch("/:id", async (c) => {
      const operations = readPatchOperations(await readScimBody(c, options.maxBodyBytes));
      const user = await writeUser(c, c.req.param("id"), (current) => {
        const patched = applyPatchOps(current, operations);
        if (!patched.ok) throw scimError("invalid_input", patched.error.detail, patched.error.scimType);
        return userBody(patched.value, false);
      });
      return respond(c, fromDirectoryUser(user));
    })
    .delete("/:id", async (c) => {
      const id = c.req.param("id");
      const ifMatch = c.req.header("if-match");
      // Without a precondition: batched with the other deletes waiting for the directory (user-deletes.ts).
      if (!ifMatch) {
        await c.get("deps").reconciler.writeBatched(c.get("scope"), scimUserDeletes, { id });
        return c.body(null, 204);
      }
      const deleted = await c.get("deps").reconciler.write(c.get("scope"), async (w) => {
        await checkVersion(w.tx, c.get("scope"), id, ifMatch);
        return ops.deleteUsers(w, [{ id }]);
      });
      if (deleted.length === 0) throw userNotFound(id);
      return c.body(null, 204);
    });
}

/**
 * Replaces or patches a user in one unit of work: read the stored resource, compute the next one,
 * check userName uniqueness, write. `next` receives the stored SCIM resource. With If-Match the version
 * is checked first, alone.
 */
function writeUser(c: C, id: string, next: (current: Record<string, unknown>) => Record<string, unknown>): Promise<DirectoryUser> {
  const scope = c.get("scope");
  const ifMatch = c.req.header("if-match");
  // Without a precondition: batched with the other user writes waiting for the directory (user-writes.ts).
  if (!ifMatch) return c.get("deps").reconciler.writeBatched(scope, scimUserWrites, { id, next });
  return c.get("deps").reconciler.write(scope, async (w) => {
    const row = await checkVersion(w.tx, scope, id, ifMatch);
    if (!row) throw userNotFound(id);
    const resource = next(row.rawAttributes);
    const userName = resource.userName as string;
    if (userName.toLowerCase() !== (row.username ?? "").toLowerCase()) {
      const holder = await findUserIdByUserName(w.tx, scope, userName);
      if (holder && holder !== id) throw duplicateUserName(userName);
    }
    // upsertUsers by the stored idp_id: the IdP may change externalId, the user stays the same.
    const [result] = await ops.upsertUsers(w, await resolveManagerRefs(w.tx, scope, [normalizeScimUser(resource, row.idpId, userMappingFor(w.directory))]), { existing: [row] });
    return result!.user;
  });
}

async function checkVersion(db: Parameters<typeof getUserRow>[0], scope: DirectoryScope, id: string, ifMatch: string): Promise<UserRow | null> {
  const row = await getUserRow(db, scope, id);
  if (row && ifMatch !== "*" && !ifMatch.split(",").map((v) => v.trim()).includes(versionOf(fromRow(row, null)))) {
    throw scimError("precondition_failed", "the resource changed since the version given in If-Match");
  }
  return row;
}

/** Validates a User body and returns it as it will be stored (Entra's string booleans made real). */
function userBody(body: Record<string, unknown>, checkSchemas = true): Record<string, unknown> {
  if (checkSchemas && !hasSchema(body, USER_SCHEMA)) {
    throw scimError("invalid_input", `schemas must include ${USER_SCHEMA}`, "invalidSyntax");
  }
  const resource = normalizeEntraBooleans(storableResource(body, "User"));
  const userName = getIgnoringCase(resource, "userName");
  if (typeof userName !== "string" || userName.trim() === "") throw scimError("invalid_input", "userName is required and must be a non-empty string", "invalidValue");
  if (userName.length > MAX_KEY_LENGTH) throw scimError("invalid_input", `userName is longer than ${MAX_KEY_LENGTH} characters`, "invalidValue");
  const active = getIgnoringCase(resource, "active");
  if (active !== undefined && active !== null && typeof active !== "boolean") throw scimError("invalid_input", "active must be a boolean", "invalidValue");
  const emails = getIgnoringCase(resource, "emails");
  if (emails !== undefined && emails !== null && !Array.isArray(emails)) throw scimError("invalid_input", "emails must be an array", "invalidValue");
  const externalId = getIgnoringCase(resource, "externalId");
  if (externalId !== undefined && externalId !== null && (typeof externalId !== "string" || externalId.length > MAX_KEY_LENGTH)) {
    throw scimError("invalid_input", `externalId must be a string of at most ${MAX_KEY_LENGTH} characters`, "invalidValue");
  }
  const name = getIgnoringCase(resource, "name");
  if (name !== undefined && name !== null && (typeof name !== "object" || Array.isArray(name))) throw scimError("invalid_input", "name must be an object", "invalidValue");
  // Canonical spelling for the two attributes lookups and uniqueness depend on.
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const lower = key.toLowerCase();
    out[lower === "username" ? "userName" : lower === "externalid" ? "externalId" : key] = value;
  }
  return out;
}

/** The userName of a `userName eq "…"` list from the first result on, else null. */
function plainUserNameLookup(query: ListQuery): string | null {
  const f = query.filter;
  if (!f || f.kind !== "compare" || f.op !== "eq" || typeof f.value !== "string" || query.startIndex !== 1) return null;
  const { uri, name, sub } = f.attr;
  if (sub || name.toLowerCase() !== "username" || (uri && !/^urn:ietf:params:scim:schemas:core:2\.0:user$/i.test(uri))) return null;
  return f.value;
}

/** The first `count` of all matches: what listScimUsers answers from startIndex 1. */
function pageOf(rows: ScimUserRow[], count: number): ScimPage<ScimUserRow> {
  return { rows: rows.slice(0, count), total: rows.length };
}

function fromRow(row: UserRow, groups: MemberRef[] | null): StoredResource {
  return { id: row.id, raw: row.rawAttributes, createdAt: row.createdAt, updatedAt: row.updatedAt, active: row.state === "active", refs: groups };
}

function fromDirectoryUser(user: DirectoryUser): StoredResource {
  return {
    id: user.id,
    raw: user.raw_attributes,
    createdAt: user.created_at,
    updatedAt: user.updated_at,
    active: user.state === "active",
    refs: user.groups.map((g) => ({ id: g.id, display: g.name })),
  };
}

const userNotFound = (id: string) => scimError("not_found", `user not found: ${id}`);
const duplicateUserName = (userName: string) => scimError("conflict", `a user with userName ${JSON.stringify(userName)} already exists`, "uniqueness");
