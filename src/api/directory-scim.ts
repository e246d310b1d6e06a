// /directories/:id/scim_token (rotate the SCIM bearer token; returned once) and
// /directories/:id/scim_requests (the directory's SCIM request log, newest first).
import { baseUrl, type Config } from "../config.js";
import type { Db } from "../db/client.js";
import { GatewayError } from "../errors.js";
import { isScimDirectoryType } from "../model/index.js";
import { issueScimToken, listScimRequests, scimBaseUrl } from "../scim/index.js";
import { getDirectory } from "../tenancy/directories.js";
import { resourceRouter } from "./router.js";
import { listParams, readQuery } from "./validate.js";

/** What a SCIM directory's admin pastes into the IdP: shown once, at creation and on rotation. */
export interface ScimCredentials {
  base_url: string;
  token: string;
}

/** Issues a new token for a SCIM directory (the previous one, if any, stops working). */
export async function issueScimCredentials(deps: { db: Db; config: Config }, directoryId: string, now: Date): Promise<ScimCredentials> {
  const token = await issueScimToken(deps.db, directoryId, now);
  return { base_url: scimBaseUrl(baseUrl(deps.config), directoryId), token };
}

export const directoryScimApi = resourceRouter()
  .post("/scim_token", async (c) => {
    const { db, clock } = c.var.deps;
    const directory = await getDirectory(db, c.var.access, c.req.param("id")!);
    if (!directory) throw new GatewayError("not_found", `directory not found: ${c.req.param("id")}`);
    if (!isScimDirectoryType(directory.type)) {
      throw new GatewayError("invalid_input", `directory ${directory.id} is of type "${directory.type}", which does not use SCIM`);
    }
    return c.json({ ...directory, scim: await issueScimCredentials(c.var.deps, directory.id, clock.now()) }, 201);
  })
  .get("/scim_requests", async (c) => {
    const query = readQuery(c, listParams());
    const directory = await getDirectory(c.var.deps.db, c.var.access, c.req.param("id")!);
    if (!directory) throw new GatewayError("not_found", `directory not found: ${c.req.param("id")}`);
    return c.json({ object: "list", ...(await listScimRequests(c.var.deps.db, directory.id, query)) });
  });
