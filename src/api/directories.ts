// /directories: create, list, get, delete. Deleting emits dsync.deleted alone.
import { z } from "zod";
import { notFound } from "../errors.js";
import { DirectoryType, isScimDirectoryType } from "../model/index.js";
import { createDirectory, getDirectory, listDirectories, requireDirectoryScope } from "../tenancy/directories.js";
import { linkPullDirectory, preparePullDirectory, pullStatus } from "../sync/pull-link.js";
import { issueScimCredentials } from "./directory-scim.js";
import { resourceRouter } from "./router.js";
import { listParams, readJson, readQuery } from "./validate.js";

const createBody = z.strictObject({
  organization_id: z.string().min(1, "is required"),
  type: DirectoryType,
  name: z.string().trim().min(1, "is required").max(200),
  domain: z.string().trim().toLowerCase().max(253).nullish(),
  // Pull directories ("azure graph"): validated against the type's schemas in sync/pull-link.ts.
  credentials: z.unknown().optional(),
  settings: z.unknown().optional(),
});

const listQuery = listParams().and(
  z.object({
    organization_id: z.string().min(1).optional(),
    search: z.string().min(1).max(200).optional(),
  }),
);

export const directoriesApi = resourceRouter()
  .post("/", async (c) => {
    const body = await readJson(c, createBody);
    const { db, clock } = c.var.deps;
    const { credentials, settings, ...fields } = body;
    const pull = preparePullDirectory(fields.type, credentials, settings);
    const directory = await createDirectory(db, c.var.access, fields, clock.now());
    if (pull) {
      // Credentials are checked now; the directory comes back linked or invalid_credentials.
      await linkPullDirectory(c.var.deps, { organizationId: directory.organization_id, directoryId: directory.id }, pull);
      const linked = (await getDirectory(db, c.var.access, directory.id))!;
      return c.json({ ...linked, sync: await pullStatus(c.var.deps, directory.id) }, 201);
    }
    // A SCIM directory's base URL and bearer token are returned here once; only a hash is kept.
    if (isScimDirectoryType(directory.type)) return c.json({ ...directory, scim: await issueScimCredentials(c.var.deps, directory.id, clock.now()) }, 201);
    return c.json(directory, 201);
  })
  .get("/", async (c) => {
    const query = readQuery(c, listQuery);
    const filter = { organizationId: query.organization_id, search: query.search };
    return c.json({ object: "list", ...(await listDirectories(c.var.deps.db, c.var.access, filter, query)) });
  })
  .get("/:id", async (c) => {
    const directory = await getDirectory(c.var.deps.db, c.var.access, c.req.param("id"));
    if (!directory) throw notFound("directory", c.req.param("id"));
    const sync = await pullStatus(c.var.deps, directory.id);
    return c.json(sync ? { ...directory, sync } : directory);
  })
  .delete("/:id", async (c) => {
    const { db, reconciler } = c.var.deps;
    const scope = await requireDirectoryScope(db, c.var.access, c.req.param("id"));
    await reconciler.deleteDirectory(scope);
    return c.body(null, 204);
  });
