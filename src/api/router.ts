// A REST resource sub-app: operator authentication and the REST error envelope, installed once.
import { Hono } from "hono";
import { bearerAuthMiddleware } from "./auth.js";
import type { ApiEnv } from "./env.js";
import { renderApiError } from "./errors.js";

export function resourceRouter(): Hono<ApiEnv> {
  const router = new Hono<ApiEnv>();
  router.use("*", bearerAuthMiddleware);
  router.onError(renderApiError);
  return router;
}
