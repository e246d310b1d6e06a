import type { Deps } from "../deps.js";
import type { Logger } from "../log.js";
import type { Access } from "../sync/index.js";

/** Context variables of every REST request: the deps, the caller's access and a request-scoped logger. */
export interface ApiEnv {
  Variables: {
    deps: Deps;
    requestId: string;
    log: Logger;
    access: Access;
  };
}
