// /directory_users: list by directory and/or group; get one (groups included).
import { z } from "zod";
import { GatewayError, notFound } from "../errors.js";
import { getDirectoryUser, listDirectoryUsers } from "../sync/index.js";
import { resourceRouter } from "./router.js";
import { listParams, readQuery } from "./validate.js";

const listQuery = listParams().and(
  z.object({ directory: z.string().min(1).optional(), group: z.string().min(1).optional() }),
);

export const directoryUsersApi = resourceRouter()
  .get("/", async (c) => {
    const query = readQuery(c, listQuery);
    if (!query.directory && !query.group) {
      throw new GatewayError("invalid_input", "give a directory or a group to list users of", {
        fields: [{ field: "directory", code: "required", message: "directory or group is required" }],
      });
    }
    const filter = { directoryId: query.directory, groupId: query.group };
    return c.json({ object: "list", ...(await listDirectoryUsers(c.var.deps.db, c.var.access, filter, query)) });
  })
  .get("/:id", async (c) => {
    const user = await getDirectoryUser(c.var.deps.db, c.var.access, c.req.param("id"));
    if (!user) throw notFound("directory user", c.req.param("id"));
    return c.json(user);
  });
