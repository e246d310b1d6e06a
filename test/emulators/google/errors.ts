// Google API error bodies in the legacy JSON shape of idp-apis.md §2.6, and the one error type the
// emulator's routes throw. Rendering happens once, in the emulator app's onError.

/** A Directory API failure: rendered as `{ error: { code, message, errors: [{ message, domain, reason }], status? } }`. */
export class GoogleApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly domain = "global",
    readonly status?: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): GoogleErrorBody {
    const error: GoogleErrorBody["error"] = {
      code: this.code,
      message: this.message,
      errors: [{ message: this.message, domain: this.domain, reason: this.reason, ...this.extra }],
    };
    if (this.status) error.status = this.status;
    return { error };
  }
}

/** The wire shape googleapis surfaces as `err.response.data`. */
export interface GoogleErrorBody {
  error: {
    code: number;
    message: string;
    errors: Array<{ message: string; domain: string; reason: string; location?: string; locationType?: string }>;
    status?: string;
  };
}

export const invalidInput = (what: string) => new GoogleApiError(400, "invalid", `Invalid Input: ${what}`, "global", "INVALID_ARGUMENT");

export const badRequest = (message = "Bad Request") => new GoogleApiError(400, "badRequest", message, "global", "INVALID_ARGUMENT");

export const authError = () =>
  new GoogleApiError(401, "authError", "Invalid Credentials", "global", "UNAUTHENTICATED", {
    location: "Authorization",
    locationType: "header",
  });

export const forbidden = () =>
  new GoogleApiError(403, "forbidden", "Not Authorized to access this resource/api", "global", "PERMISSION_DENIED");

export const insufficientScopes = () =>
  new GoogleApiError(403, "insufficientPermissions", "Request had insufficient authentication scopes.", "global", "PERMISSION_DENIED");

export const notFound = (what: string) => new GoogleApiError(404, "notFound", `Resource Not Found: ${what}`, "global", "NOT_FOUND");

/** The throttling and outage responses a test can queue; statuses default to Google's usual ones. */
export type ThrottleReason = "userRateLimitExceeded" | "quotaExceeded" | "rateLimitExceeded" | "backendError";

export const THROTTLE_DEFAULT_STATUS: Record<ThrottleReason, number> = {
  userRateLimitExceeded: 403,
  quotaExceeded: 403,
  rateLimitExceeded: 429,
  backendError: 503,
};

/** Builds a throttling error; Google never sends Retry-After with these, so neither do we. */
export function throttleError(reason: ThrottleReason, status = THROTTLE_DEFAULT_STATUS[reason]): GoogleApiError {
  switch (reason) {
    case "userRateLimitExceeded":
      return new GoogleApiError(
        status,
        reason,
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com'",
        "usageLimits",
      );
    case "quotaExceeded":
      return new GoogleApiError(status, reason, "Quota exceeded: too many concurrent requests for this operation.", "usageLimits");
    case "rateLimitExceeded":
      // Newer front ends answer 429 with a gRPC status; the 403 flavour comes without one [idp-apis §2.6, O].
      return new GoogleApiError(status, reason, "Rate Limit Exceeded", "usageLimits", status === 429 ? "RESOURCE_EXHAUSTED" : undefined);
    case "backendError":
      return new GoogleApiError(status, reason, "Backend Error", "global", status === 503 ? "UNAVAILABLE" : "INTERNAL");
  }
}
