// Renders every REST failure as one JSON envelope: { code, message, errors?, request_id }.
// Unknown errors become a generic 500, logged in full but never echoed.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { GatewayError, statusOf } from "../errors.js";
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
    );
  }
  c.get("log")?.error({ err: error }, "unhandled error");
  return c.json({ code: "internal", message: "internal server error", request_id: requestId }, 500);
}

function asGatewayError(error: Error): GatewayError | null {
  if (error instanceof GatewayError) return error;
  // Hono raises these itself, e.g. for a malformed JSON body.
  if (error instanceof HTTPException && error.status < 500) {
    const code = error.status === 401 ? "unauthorized" : error.status === 404 ? "not_found" : error.status === 413 ? "payload_too_large" : "invalid_input";
    return new GatewayError(code, error.message || "bad request");
  }
  return null;
}
