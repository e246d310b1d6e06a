// The one error type thrown below the HTTP edge, and the one code -> status mapping.
// Each surface (REST, SCIM, portal) renders a GatewayError its own way in its own onError.
import { HTTPException } from "hono/http-exception";
import { isTransientDatabaseError } from "./db/errors.js";

/** The closed list of failure kinds every surface knows how to render. */
export type ErrorCode =
  | "not_found"
  | "conflict"
  | "invalid_input"
  | "invalid_filter"
  | "unauthorized"
  | "forbidden"
  | "payload_too_large"
  | "rate_limited"
  | "precondition_failed"
  | "unavailable"
  | "internal";

/** One problem with one input field, for errors that concern several. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

/** A failure with a code the edge maps to a status; `detail` is safe to show to the caller. */
export class GatewayError extends Error {
  override name = "GatewayError";
  readonly code: ErrorCode;
  readonly detail: string;
  readonly fields: FieldError[];
  readonly scimType: string | undefined;
  readonly retryable: boolean;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { fields?: FieldError[]; scimType?: string; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(detail, { cause: options.cause });
    this.code = code;
    this.detail = detail;
    this.fields = options.fields ?? [];
    this.scimType = options.scimType;
    this.retryable = options.retryable ?? (code === "rate_limited" || code === "unavailable");
  }
}

export function statusOf(code: ErrorCode): 400 | 401 | 403 | 404 | 409 | 412 | 413 | 429 | 500 | 503 {
  switch (code) {
    case "invalid_input":
    case "invalid_filter":
      return 400;
    case "unauthorized":
      return 401;
    case "forbidden":
      return 403;
    case "not_found":
      return 404;
    case "conflict":
      return 409;
    case "precondition_failed":
      return 412;
    case "payload_too_large":
      return 413;
    case "rate_limited":
      return 429;
    case "internal":
      return 500;
    case "unavailable":
      return 503;
  }
}

/** How long a client should wait before retrying a request answered `unavailable`, in seconds. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

export const notFound = (what: string, id: string) => new GatewayError("not_found", `${what} not found: ${id}`);

/**
 * The error as a GatewayError when the edge can say what it was: one the client caused (Hono raises
 * some itself, e.g. for a malformed JSON body), or a transient database failure, which the client may
 * retry (503); null otherwise.
 */
export function asGatewayError(error: Error): GatewayError | null {
  if (error instanceof GatewayError) return error;
  if (isTransientDatabaseError(error)) return new GatewayError("unavailable", "the database is briefly unavailable; retry the request", { cause: error });
  if (error instanceof HTTPException && error.status < 500) {
    const code = error.status === 401 ? "unauthorized" : error.status === 404 ? "not_found" : error.status === 413 ? "payload_too_large" : "invalid_input";
    return new GatewayError(code, error.message || "bad request");
  }
  return null;
}
