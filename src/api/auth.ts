// Operator authentication for the REST API: `Authorization: Bearer <API key>`.
import { createMiddleware } from "hono/factory";
import { isOperatorKey } from "../auth/api-keys.js";
import { GatewayError } from "../errors.js";
import { OPERATOR } from "../sync/index.js";
import type { ApiEnv } from "./env.js";

export const bearerAuthMiddleware = createMiddleware<ApiEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new GatewayError("unauthorized", "missing API key: send Authorization: Bearer <API key>");
  const { db, config } = c.var.deps;
  if (!(await isOperatorKey(db, match[1]!, config.DSYNC_API_KEY))) throw new GatewayError("unauthorized", "invalid API key");
  c.set("access", OPERATOR);
  await next();
});
