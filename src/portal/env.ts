// What every portal route shares: the Hono env (the session is set by the session middleware), the
// session's access scope, and the audit actor built from the request.
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import type { Deps } from "../deps.js";
import type { Logger } from "../log.js";
import type { Access } from "../sync/index.js";
import type { PortalSession } from "./sessions.js";

export interface PortalEnv {
  Variables: {
    deps: Deps;
    log: Logger;
    requestId: string;
    session: PortalSession;
  };
}

/** A session sees its own organization and nothing else: every read and write takes this. */
export function accessOf(session: PortalSession): Access {
  return { kind: "organization", organizationId: session.organizationId };
}

export function actor(c: Context, session: PortalSession) {
  return { type: "portal_session" as const, id: session.id, ip: clientAddress(c), user_agent: c.req.header("user-agent")?.slice(0, 300) ?? null };
}

/** The peer address, when the request came over a socket (not for in-process test requests). */
export function clientAddress(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}
