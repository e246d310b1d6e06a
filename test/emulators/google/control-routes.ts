// The optional HTTP twin of the Google emulator's in-process control methods, mounted at
// /__emulator for standalone runs: seed, generate, mutate, advance the clock, queue throttling,
// mint tokens, read the request log and fire watch notifications. Test-only; no auth.
import { Hono, type Context } from "hono";
import { DEFAULT_DELEGATED_SCOPES } from "./auth.js";
import type { UserWatchEvent } from "./channels.js";
import type { GoogleGroupSeed, GoogleUserFields, GoogleUserSeed, MemberSeed } from "./directory.js";
import type { GoogleEmulator, GoogleSeed } from "./emulator.js";
import type { ThrottleReason } from "./errors.js";
import type { GenerateOptions } from "./generate.js";

export function controlRoutes(emu: GoogleEmulator): Hono {
  const control = new Hono();
  control.onError((err) => Response.json({ error: String(err instanceof Error ? err.message : err) }, { status: 400 }));
  const body = async (c: Context) => ((await c.req.json().catch(() => ({}))) ?? {}) as Record<string, unknown>;
  control.post("/seed", async (c) => {
    emu.seed((await body(c)) as GoogleSeed);
    return c.json({ ok: true });
  });
  control.post("/generate", async (c) => c.json(emu.generate((await body(c)) as unknown as GenerateOptions)));
  control.post("/clock", async (c) => {
    emu.advanceClock(Number((await body(c)).advanceMs ?? 0));
    return c.json({ now: new Date(emu.now()).toISOString() });
  });
  control.post("/throttle", async (c) => {
    const b = await body(c);
    emu.throttle(b.reason as ThrottleReason, Number(b.count ?? 1), {
      ...(b.status !== undefined ? { status: Number(b.status) } : {}),
      ...(typeof b.path === "string" ? { path: b.path } : {}),
    });
    return c.json({ pending: emu.pendingFailures() });
  });
  control.post("/token", async (c) => {
    const b = await body(c);
    return c.json({ access_token: emu.issueToken(String(b.subject), (b.scopes as string[] | undefined) ?? DEFAULT_DELEGATED_SCOPES) });
  });
  control.get("/requests", (c) => c.json(emu.requests));
  control.delete("/requests", (c) => {
    emu.clearRequests();
    return c.body(null, 204);
  });
  control.post("/users", async (c) => c.json({ id: emu.dir.addUser((await body(c)) as unknown as GoogleUserSeed).id }));
  control.post("/users/:userKey/:action", async (c) => {
    const key = c.req.param("userKey");
    const b = await body(c);
    const user = (() => {
      switch (c.req.param("action")) {
        case "update":
          return emu.dir.updateUser(key, b as Partial<GoogleUserFields>);
        case "suspend":
          return emu.dir.suspendUser(key);
        case "unsuspend":
          return emu.dir.unsuspendUser(key);
        case "archive":
          return emu.dir.archiveUser(key, true);
        case "unarchive":
          return emu.dir.archiveUser(key, false);
        case "rename":
          return emu.dir.renameUser(key, String(b.primaryEmail));
        case "delete":
          return emu.dir.deleteUser(key);
        case "undelete":
          return emu.dir.undeleteUser(key);
        default:
          throw new Error(`unknown action ${c.req.param("action")}`);
      }
    })();
    return c.json({ id: user.id, etag: emu.dir.etag("user", user.id, user.version) });
  });
  control.post("/groups", async (c) => c.json({ id: emu.dir.addGroup((await body(c)) as unknown as GoogleGroupSeed).id }));
  control.post("/groups/:groupKey/members", async (c) => c.json({ id: emu.dir.addMember(c.req.param("groupKey"), (await body(c)) as unknown as MemberSeed) }));
  control.delete("/groups/:groupKey/members/:memberKey", (c) => {
    emu.dir.removeMember(c.req.param("groupKey"), c.req.param("memberKey"));
    return c.body(null, 204);
  });
  control.post("/notify", async (c) => {
    const b = await body(c);
    return c.json(await emu.notify(b.event as UserWatchEvent, String(b.userKey)));
  });
  return control;
}
