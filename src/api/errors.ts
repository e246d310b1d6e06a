// Renders every REST failure as one JSON envelope: { code, message, errors?, request_id }.
// Unknown errors become a generic 500, logged in full but never echoed.
import type { Context } from "hono";
import { asGatewayError, statusOf, UNAVAILABLE_RETRY_AFTER_SECONDS } from "../errors.js";
import type { ApiEnv } from "./env.js";

export function renderApiError(error: Error, c: Context<ApiEnv>): Response {
  const requestId = c.get("requestId");
  const known = asGatewayError(error);
  if (known) {
    const status = statusOf(known.code);
    if (status >= 500) c.get("log")?.error({ err: error }, "request failed");
    return c.json(
      { code: known.code, message: known.detail, ...(known.fields.length ? { errors: known.fields } : {}), request_id: requestId },
      status,
      known.code === "unavailable" ? { "retry-after": String(UNAVAILABLE_RETRY_AFTER_SECONDS) } : {},
    );
  }
  c.get("log")?.error({ err: error }, "unhandled error");
  return c.json({ code: "internal", message: "internal server error", request_id: requestId }, 500);
}

