import type { Deps } from "../deps.js";
import type { Logger } from "../log.js";
import type { DirectoryScope } from "../sync/index.js";

/** Context variables of a SCIM request: set by the app (deps, requestId, log) and by scim auth (scope). */
export interface ScimEnv {
  Variables: {
    deps: Deps;
    requestId: string;
    log: Logger;
    /** The directory the bearer token belongs to; set once authenticated. */
    scope: DirectoryScope;
    /** The directory whose request log gets this request (set even when the token was wrong). */
    logScope: DirectoryScope;
    /** The detail of the error answered, for the request log. */
    errorDetail: string;
  };
}
