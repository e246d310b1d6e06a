// /directories/:id/attribute_mapping, /role_mapping and /data_quality: a directory's normalization
// settings on top of its type's preset, and the report of records that need the IdP admin's attention.
// Changing a mapping re-applies it to the stored users before answering (see sync/directory-mappings.ts).
import { z } from "zod";
import { GatewayError } from "../errors.js";
import { MappingOverride, presetFor, RoleMapping, userMappingFor } from "../normalize/index.js";
import { dataQualityReport, DATA_QUALITY_REASONS } from "../sync/data-quality.js";
import {
  groupNames,
  readDirectoryMappings,
  previewAttributeMapping,
  setAttributeMapping,
  setRoleMapping,
  type DirectoryMappings,
  type MappingOutcome,
} from "../sync/directory-mappings.js";
import type { DirectoryScope } from "../sync/index.js";
import type { WriteRunner } from "../sync/snapshot.js";
import { requireDirectoryScope } from "../tenancy/directories.js";
import type { Deps } from "../deps.js";
import type { Access } from "../sync/index.js";
import { resourceRouter } from "./router.js";
import { readJson, readQuery } from "./validate.js";

const dataQualityQuery = z.object({
  reason: z.enum(DATA_QUALITY_REASONS).optional(),
  limit: z.coerce.number({ message: "must be a number" }).int().min(1, "must be between 1 and 100").max(100, "must be between 1 and 100").default(50),
  after: z.string().min(1).max(300).optional(),
});

const previewQuery = z.object({
  limit: z.coerce.number({ message: "must be a number" }).int().min(1, "must be between 1 and 100").max(100, "must be between 1 and 100").default(20),
});

async function load(deps: Deps, access: Access, id: string): Promise<{ scope: DirectoryScope; mappings: DirectoryMappings }> {
  const scope = await requireDirectoryScope(deps.db, access, id);
  const mappings = await readDirectoryMappings(deps.db, scope);
  if (!mappings) throw new GatewayError("not_found", `directory not found: ${id}`);
  return { scope, mappings };
}

/** Reconcile's write queue as a runner of units of work, which the mapping functions page through. */
const writerOf = (deps: Deps): WriteRunner => ({ run: (scope, op) => deps.reconciler.write(scope, op) });

function attributeMappingView(scope: DirectoryScope, m: DirectoryMappings) {
  const preset = presetFor(m.type);
  return {
    object: "attribute_mapping" as const,
    directory_id: scope.directoryId,
    directory_type: m.type,
    preset_label: preset.label,
    preset: preset.user,
    overrides: m.attributeMapping,
    effective: userMappingFor({ type: m.type, attributeMapping: m.attributeMapping }),
    updated_at: m.updatedAt.toISOString(),
  };
}

async function roleMappingView(deps: Deps, scope: DirectoryScope, m: DirectoryMappings) {
  const rules = m.roleMapping?.rules ?? [];
  const names = await groupNames(deps.db, scope, rules.map((r) => r.group_id));
  return {
    object: "role_mapping" as const,
    directory_id: scope.directoryId,
    default_role: m.roleMapping?.default_role ?? null,
    rules: rules.map((r) => ({ group_id: r.group_id, group_name: names.get(r.group_id) ?? null, role_slug: r.role_slug, priority: r.priority })),
    updated_at: m.updatedAt.toISOString(),
  };
}

export const directoryNormalizationApi = resourceRouter()
  .get("/attribute_mapping", async (c) => {
    const { scope, mappings } = await load(c.var.deps, c.var.access, c.req.param("id")!);
    return c.json(attributeMappingView(scope, mappings));
  })
  .put("/attribute_mapping", async (c) => {
    const override = await readJson(c, MappingOverride);
    const scope = await requireDirectoryScope(c.var.deps.db, c.var.access, c.req.param("id")!);
    const outcome: MappingOutcome = await setAttributeMapping(writerOf(c.var.deps), scope, override);
    c.var.log.info({ directoryId: scope.directoryId, ...outcome }, "attribute mapping applied");
    const { mappings } = await load(c.var.deps, c.var.access, scope.directoryId);
    return c.json({ ...attributeMappingView(scope, mappings), renormalized: outcome });
  })
  // What a proposed mapping would change, on a sample of stored users; nothing is written.
  .post("/attribute_mapping/preview", async (c) => {
    const override = await readJson(c, MappingOverride);
    const query = readQuery(c, previewQuery);
    const { scope, mappings } = await load(c.var.deps, c.var.access, c.req.param("id")!);
    return c.json(await previewAttributeMapping(c.var.deps.db, scope, mappings.type, override, query.limit));
  })
  .get("/role_mapping", async (c) => {
    const { scope, mappings } = await load(c.var.deps, c.var.access, c.req.param("id")!);
    return c.json(await roleMappingView(c.var.deps, scope, mappings));
  })
  .put("/role_mapping", async (c) => {
    const body = await readJson(c, RoleMapping);
    const scope = await requireDirectoryScope(c.var.deps.db, c.var.access, c.req.param("id")!);
    const empty = body.rules.length === 0 && body.default_role === null;
    const outcome = await setRoleMapping(writerOf(c.var.deps), scope, empty ? null : body);
    c.var.log.info({ directoryId: scope.directoryId, rules: body.rules.length, ...outcome }, "role mapping applied");
    const { mappings } = await load(c.var.deps, c.var.access, scope.directoryId);
    return c.json({ ...(await roleMappingView(c.var.deps, scope, mappings)), recomputed: outcome });
  })
  .get("/data_quality", async (c) => {
    const query = readQuery(c, dataQualityQuery);
    const { scope, mappings } = await load(c.var.deps, c.var.access, c.req.param("id")!);
    const mapping = userMappingFor({ type: mappings.type, attributeMapping: mappings.attributeMapping });
    return c.json(await dataQualityReport(c.var.deps.db, scope, mapping, query));
  });
