// /directories: create, list, get, delete. Deleting emits dsync.deleted alone.
import { z } from "zod";
import { notFound } from "../errors.js";
import { DirectoryType } from "../model/index.js";
import { createDirectory, getDirectory, listDirectories, requireDirectoryScope } from "../tenancy/directories.js";
import { resourceRouter } from "./router.js";
import { listParams, readJson, readQuery } from "./validate.js";

const createBody = z.strictObject({
  organization_id: z.string().min(1, "is required"),
  type: DirectoryType,
  name: z.string().trim().min(1, "is required").max(200),
  domain: z.string().trim().toLowerCase().max(253).nullish(),
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
    return c.json(await createDirectory(db, c.var.access, body, clock.now()), 201);
  })
  .get("/", async (c) => {
    const query = readQuery(c, listQuery);
    const filter = { organizationId: query.organization_id, search: query.search };
    return c.json({ object: "list", ...(await listDirectories(c.var.deps.db, c.var.access, filter, query)) });
  })
  .get("/:id", async (c) => {
    const directory = await getDirectory(c.var.deps.db, c.var.access, c.req.param("id"));
    if (!directory) throw notFound("directory", c.req.param("id"));
    return c.json(directory);
  })
  .delete("/:id", async (c) => {
    const { db, reconciler } = c.var.deps;
    const scope = await requireDirectoryScope(db, c.var.access, c.req.param("id"));
    await reconciler.deleteDirectory(scope);
    return c.body(null, 204);
  });
