// SCIM error responses (RFC 7644 §3.12): { schemas: [Error], status: "404", scimType?, detail }, always
// as application/scim+json. The SCIM sub-app's onError renders every failure here, never the REST envelope.
import type { Context } from "hono";
import { asGatewayError, GatewayError, statusOf, UNAVAILABLE_RETRY_AFTER_SECONDS } from "../errors.js";
import type { ScimEnv } from "./env.js";

export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
export const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";

/** The RFC 7644 §3.12 body. */
export interface ScimErrorBody {
  schemas: [typeof ERROR_SCHEMA];
  status: string;
  scimType?: string;
  detail: string;
}

/** Builds a SCIM error to throw below the edge; scimType per RFC 7644 Table 9 when one applies. */
export function scimError(code: GatewayError["code"], detail: string, scimType?: string): GatewayError {
  return new GatewayError(code, detail, scimType ? { scimType } : {});
}

export function scimErrorBody(status: number, detail: string, scimType?: string): ScimErrorBody {
  return { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

/** A JSON response with the SCIM media type. */
export function scimJson(c: Context, body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": SCIM_CONTENT_TYPE, ...headers } });
}

export function renderScimError(error: Error, c: Context<ScimEnv>): Response {
  const known = asGatewayError(error);
  if (!known) {
    c.get("log")?.error({ err: error, directoryId: c.get("logScope")?.directoryId }, "unhandled SCIM error");
    c.set("errorDetail", "internal server error");
    return scimJson(c, scimErrorBody(500, "internal server error"), 500);
  }
  const status = statusOf(known.code);
  if (status >= 500) c.get("log")?.error({ err: error, directoryId: c.get("logScope")?.directoryId }, "SCIM request failed");
  c.set("errorDetail", known.detail);
  const headers: Record<string, string> = {};
  if (known.code === "unauthorized") headers["www-authenticate"] = 'Bearer realm="scim"';
  const retryAfter = (known.cause as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if (known.code === "rate_limited" && retryAfter) headers["retry-after"] = String(retryAfter);
  if (known.code === "unavailable") headers["retry-after"] = String(UNAVAILABLE_RETRY_AFTER_SECONDS);
  return scimJson(c, scimErrorBody(status, known.detail, known.scimType), status, headers);
}

