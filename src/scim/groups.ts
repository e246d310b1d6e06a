// /Groups (RFC 7644 §3): create, read, list with filters, replace, patch, delete. Members live in the
// membership table, not in the stored resource; members given in a POST or PUT are applied (Okta
// sends them there), and a PATCH's renames and member changes commit together under the directory lock.
import { Hono, type Context } from "hono";
import type { DirectoryGroup } from "../model/index.js";
import { newId } from "../model/index.js";
import { normalizeScimGroup } from "../normalize/index.js";
import { ops, type DirectoryScope, type DirectoryWrite } from "../sync/index.js";
import { getGroupRow, groupIdpIdExists, membersOfGroups, type GroupRow } from "../sync/lookup.js";
import { listScimGroups } from "../sync/scim-query.js";
import { readScimBody } from "./body.js";
import type { ScimEnv } from "./env.js";
import { scimError, scimJson } from "./errors.js";
import { getIgnoringCase } from "../normalize/scim-filter-match.js";
import { listResponse, readListQuery, readProjection, readSearchBody, type ListQuery } from "./list-query.js";
import type { ScimOptions } from "./options.js";
import { applyPatchOps, extractMemberChanges, type MemberChange } from "./patch.js";
import { readPatchOperations } from "./patch-request.js";
import { scimMemberPatches, type MemberPatch } from "./member-patches.js";
import { GROUP_SCHEMA, hasSchema, MAX_KEY_LENGTH, project, projects, renderScimResource, storableResource, versionOf, type StoredResource } from "./resources.js";

type C = Context<ScimEnv>;

export function groupsApp(options: ScimOptions): Hono<ScimEnv> {
  const location = (c: C, id: string) => `${options.baseUrlOf(c.get("scope").directoryId)}/Groups/${id}`;

  /** Renders one group, loading its members only when the response will show them. */
  const respond = async (c: C, group: GroupRow | DirectoryGroup, status = 200) => {
    const projection = readProjection(c);
    const stored = storedGroup(group, null);
    if (projects(projection, "members")) stored.refs = (await membersOfGroups(c.get("deps").db, c.get("scope"), [stored.id])).get(stored.id) ?? [];
    const rendered = renderScimResource("Group", stored, location(c, stored.id));
    // The ETag is meta.version, hashed once (before a projection may drop meta).
    const etag = (rendered.meta as { version: string }).version;
    return scimJson(c, project(rendered, projection), status, { etag, ...(status === 201 ? { location: location(c, stored.id) } : {}) });
  };

  const list = async (c: C, query: ListQuery) => {
    const { db } = c.get("deps");
    const page = await listScimGroups(db, c.get("scope"), query.filter, query);
    const members = projects(query.projection, "members") ? await membersOfGroups(db, c.get("scope"), page.rows.map((r) => r.id)) : null;
    const resources = page.rows.map((row) =>
      project(renderScimResource("Group", storedGroup(row, members?.get(row.id) ?? null), location(c, row.id)), query.projection),
    );
    return scimJson(c, listResponse(resources, page.total, query.startIndex));
  };

  return new Hono<ScimEnv>()
    .get("/", (c) => list(c, readListQuery(c, options.maxResults)))
    .post("/.search", async (c) => list(c, readSearchBody(await readScimBody(c, options.maxBodyBytes), options.maxResults)))
    .post("/", async (c) => {
      const received = await readScimBody(c, options.maxBodyBytes);
      const body = groupBody(received);
      const members = memberIdsOf(getIgnoringCase(received, "members"));
      const externalId = typeof body.externalId === "string" && body.externalId !== "" ? body.externalId : null;
      const scope = c.get("scope");
      const group = await c.get("deps").reconciler.write(scope, async (w) => {
        if (externalId && (await groupIdpIdExists(w.tx, scope, externalId))) {
          throw scimError("conflict", `a group with externalId ${JSON.stringify(externalId)} already exists`, "uniqueness");
        }
        const [result] = await ops.upsertGroups(w, [normalizeScimGroup(body, externalId ?? newId("directory_group"))]);
        if (members && members.length > 0) await applyMemberChanges(w, result!.group.id, [{ kind: "add", ids: members }]);
        return result!.group;
      });
      return respond(c, group, 201);
    })
    .get("/:id", async (c) => {
      const row = await getGroupRow(c.get("deps").db, c.get("scope"), c.req.param("id"));
      if (!row) throw groupNotFound(c.req.param("id"));
      const etag = versionOf(storedGroup(row, null));
      if (c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers: { etag } });
      return respond(c, row);
    })
    .put("/:id", async (c) => {
      const received = await readScimBody(c, options.maxBodyBytes);
      const body = groupBody(received);
      // A PUT without members leaves them as they are: clearing a group needs "members": [].
      const members = memberIdsOf(getIgnoringCase(received, "members"));
      const group = await writeGroup(c, c.req.param("id"), () => ({ resource: body, members: members ? [{ kind: "replace", ids: members }] : [] }));
      return respond(c, group);
    })
    .patch("/:id", async (c) => {
      const split = extractMemberChanges(readPatchOperations(await readScimBody(c, options.maxBodyBytes)));
      if (!split.ok) throw scimError("invalid_input", split.error.detail, split.error.scimType);
      const memberPatch = onlyAddsAndRemoves(c, c.req.param("id"), split.value);
      // The IdPs' membership pushes: batched with the others waiting for the directory (member-patches.ts).
      const group = memberPatch ? await c.get("deps").reconciler.writeBatched(c.get("scope"), scimMemberPatches, memberPatch) : await writeGroup(c, c.req.param("id"), (current) => {
        if (split.value.attributes.length === 0) return { resource: current, members: split.value.members };
        const patched = applyPatchOps(current, split.value.attributes);
        if (!patched.ok) throw scimError("invalid_input", patched.error.detail, patched.error.scimType);
        return { resource: groupBody(patched.value, false), members: split.value.members };
      }, split.value.attributes.length === 0);
      // RFC 7644 §3.5.2: 204 is allowed; a big group's member list is not worth sending back unasked.
      if (c.req.query("attributes") || c.req.query("excludedAttributes")) return respond(c, group);
      return c.body(null, 204);
    })
    .delete("/:id", async (c) => {
      const id = c.req.param("id");
      const ifMatch = c.req.header("if-match");
      const deleted = await c.get("deps").reconciler.write(c.get("scope"), async (w) => {
        if (ifMatch) await checkVersion(w, id, ifMatch);
        return ops.deleteGroups(w, [{ id }]);
      });
      if (deleted.length === 0) throw groupNotFound(id);
      return c.body(null, 204);
    });
}

/** Rename and member changes of one group as one unit of work under the directory lock. */
function writeGroup(
  c: C,
  id: string,
  next: (current: Record<string, unknown>) => { resource: Record<string, unknown>; members: MemberChange[] },
  onlyMembers = false,
): Promise<DirectoryGroup | GroupRow> {
  const scope = c.get("scope");
  const ifMatch = c.req.header("if-match");
  return c.get("deps").reconciler.write(scope, async (w) => {
    // Member changes alone need no read first: reconcile finds the group (or answers not found).
    if (!ifMatch && onlyMembers) {
      const group = await applyMemberChanges(w, id, next({}).members);
      if (group) return group;
    }
    const row = ifMatch ? await checkVersion(w, id, ifMatch) : await getGroupRow(w.tx, scope, id);
    if (!row) throw groupNotFound(id);
    const change = next(row.rawAttributes);
    let group: DirectoryGroup | GroupRow = row;
    if (change.resource !== row.rawAttributes) {
      const [result] = await ops.upsertGroups(w, [normalizeScimGroup(change.resource, row.idpId)]);
      group = result!.group;
    }
    await applyMemberChanges(w, id, change.members);
    return group;
  });
}

/** The PATCH as a batched member patch when it only adds or removes members (and names no If-Match). */
function onlyAddsAndRemoves(c: C, groupId: string, split: { members: MemberChange[]; attributes: unknown[] }): MemberPatch | null {
  if (split.attributes.length > 0 || split.members.length === 0 || c.req.header("if-match")) return null;
  const changes: MemberPatch["changes"] = [];
  for (const change of split.members) {
    if (change.kind !== "add" && change.kind !== "remove") return null;
    changes.push({ kind: change.kind, ids: change.ids });
  }
  return { groupId, changes };
}

/** Applies member changes in order. Ids that are not users of this directory are ignored. */
async function applyMemberChanges(w: DirectoryWrite, groupId: string, changes: MemberChange[]): Promise<DirectoryGroup | null> {
  let group: DirectoryGroup | null = null;
  for (const change of changes) {
    if (change.kind === "removeAll") {
      group = (await ops.replaceGroupMembers(w, { id: groupId }, [])).group;
      continue;
    }
    // Reconcile resolves refs within this directory and skips the rest (reported as missing).
    const refs = [...new Set(change.ids)].map((id) => ({ id }));
    if (change.kind === "add") group = (await ops.addGroupMembers(w, { id: groupId }, refs)).group;
    else if (change.kind === "remove") group = (await ops.removeGroupMembers(w, { id: groupId }, refs)).group;
    else group = (await ops.replaceGroupMembers(w, { id: groupId }, refs)).group;
  }
  return group;
}

async function checkVersion(w: DirectoryWrite, id: string, ifMatch: string): Promise<GroupRow | null> {
  const row = await getGroupRow(w.tx, w.scope, id);
  if (row && ifMatch !== "*" && !ifMatch.split(",").map((v) => v.trim()).includes(versionOf(storedGroup(row, null)))) {
    throw scimError("precondition_failed", "the resource changed since the version given in If-Match");
  }
  return row;
}

/** Validates a Group body and returns it as it will be stored (without members). */
function groupBody(body: Record<string, unknown>, checkSchemas = true): Record<string, unknown> {
  if (checkSchemas && !hasSchema(body, GROUP_SCHEMA)) throw scimError("invalid_input", `schemas must include ${GROUP_SCHEMA}`, "invalidSyntax");
  const resource = storableResource(body, "Group");
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    const lower = key.toLowerCase();
    out[lower === "displayname" ? "displayName" : lower === "externalid" ? "externalId" : key] = value;
  }
  if (typeof out.displayName !== "string" || out.displayName.trim() === "" || out.displayName.length > MAX_KEY_LENGTH) {
    throw scimError("invalid_input", `displayName is required: a non-empty string of at most ${MAX_KEY_LENGTH} characters`, "invalidValue");
  }
  if (out.externalId !== undefined && out.externalId !== null && (typeof out.externalId !== "string" || out.externalId.length > MAX_KEY_LENGTH)) {
    throw scimError("invalid_input", `externalId must be a string of at most ${MAX_KEY_LENGTH} characters`, "invalidValue");
  }
  return out;
}

/** Member ids from a members attribute; null when it is absent. */
function memberIdsOf(members: unknown): string[] | null {
  if (members === undefined || members === null) return null;
  if (!Array.isArray(members)) throw scimError("invalid_input", "members must be an array", "invalidValue");
  return members.map((m) => {
    const value = typeof m === "object" && m !== null ? getIgnoringCase(m, "value") : undefined;
    if (typeof value !== "string" || value === "") throw scimError("invalid_input", 'each member needs a "value" holding the member id', "invalidValue");
    return value;
  });
}

function storedGroup(group: GroupRow | DirectoryGroup, members: StoredResource["refs"]): StoredResource {
  if ("object" in group) return { id: group.id, raw: group.raw_attributes, createdAt: group.created_at, updatedAt: group.updated_at, refs: members };
  return { id: group.id, raw: group.rawAttributes, createdAt: group.createdAt, updatedAt: group.updatedAt, refs: members };
}

const groupNotFound = (id: string) => scimError("not_found", `group not found: ${id}`);
