// /directory_groups: list by directory and/or user; get one.
import { z } from "zod";
import { GatewayError, notFound } from "../errors.js";
import { getDirectoryGroup, listDirectoryGroups } from "../sync/index.js";
import { resourceRouter } from "./router.js";
import { listParams, readQuery } from "./validate.js";

const listQuery = listParams().and(
  z.object({ directory: z.string().min(1).optional(), user: z.string().min(1).optional() }),
);

export const directoryGroupsApi = resourceRouter()
  .get("/", async (c) => {
    const query = readQuery(c, listQuery);
    if (!query.directory && !query.user) {
      throw new GatewayError("invalid_input", "give a directory or a user to list groups of", {
        fields: [{ field: "directory", code: "required", message: "directory or user is required" }],
      });
    }
    const filter = { directoryId: query.directory, userId: query.user };
    return c.json({ object: "list", ...(await listDirectoryGroups(c.var.deps.db, c.var.access, filter, query)) });
  })
  .get("/:id", async (c) => {
    const group = await getDirectoryGroup(c.var.deps.db, c.var.access, c.req.param("id"));
    if (!group) throw notFound("directory group", c.req.param("id"));
    return c.json(group);
  });
