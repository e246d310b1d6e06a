// Pull sync of one directory: POST /directories/:id/sync (?full=true, ?dry_run=true), the run list
// and one run, and the operator's decision on a run whose deletions were held for confirmation.
import { z } from "zod";
import { GatewayError } from "../errors.js";
import { PullSyncScheduler } from "../sync/scheduler.js";
import { getSyncRunRow, listSyncRuns, toSyncRun } from "../sync/sync-runs.js";
import { linkPullDirectory, preparePullDirectory, pullStatus } from "../sync/pull-link.js";
import { pullSourceFor } from "../sync/pull-sources.js";
import { getDirectory } from "../tenancy/directories.js";
import type { Access, DirectoryScope } from "../sync/index.js";
import type { Deps } from "../deps.js";
import { resourceRouter } from "./router.js";
import { listParams, readJson, readQuery } from "./validate.js";

const flag = z.enum(["true", "false", "1", "0"], { message: "must be true or false" }).optional().transform((v) => v === "true" || v === "1");
const syncQuery = z.object({ full: flag, dry_run: flag });

async function pullDirectory(deps: Deps, access: Access, id: string): Promise<{ scope: DirectoryScope; type: string }> {
  const directory = await getDirectory(deps.db, access, id);
  if (!directory) throw new GatewayError("not_found", `directory not found: ${id}`);
  if (!pullSourceFor(directory.type)) throw new GatewayError("invalid_input", `directory ${id} (${directory.type}) is not a pull directory`);
  return { scope: { organizationId: directory.organization_id, directoryId: directory.id }, type: directory.type };
}

const credentialsBody = z.strictObject({ credentials: z.unknown(), settings: z.unknown().optional() });

export const directorySyncApi = resourceRouter()
  // Replaces a pull directory's credentials (a rotated secret) and optionally its settings; they are
  // checked as on creation, and the next run is a full one.
  .put("/credentials", async (c) => {
    const body = await readJson(c, credentialsBody);
    const { scope, type } = await pullDirectory(c.var.deps, c.var.access, c.req.param("id")!);
    const current = await pullStatus(c.var.deps, scope.directoryId);
    const prepared = preparePullDirectory(type, body.credentials ?? {}, body.settings ?? current?.settings ?? {})!;
    await linkPullDirectory(c.var.deps, scope, prepared);
    const directory = (await getDirectory(c.var.deps.db, c.var.access, scope.directoryId))!;
    return c.json({ ...directory, sync: await pullStatus(c.var.deps, scope.directoryId) });
  })
  // A real run is claimed under the directory's lease and answered at once (202, status running); it
  // goes on in the background and is read from sync_runs. A dry run answers with its diff (201).
  .post("/sync", async (c) => {
    const query = readQuery(c, syncQuery);
    const { scope, type } = await pullDirectory(c.var.deps, c.var.access, c.req.param("id")!);
    const scheduler = new PullSyncScheduler(c.var.deps);
    if (query.dry_run) return c.json(await scheduler.syncNow(scope, type, { full: query.full, dryRun: true }), 201);
    const run = await scheduler.startNow(scope, type, { full: query.full });
    return c.json(run, 202, { location: `/directories/${scope.directoryId}/sync_runs/${run.id}` });
  })
  .get("/sync_runs", async (c) => {
    const query = readQuery(c, listParams());
    const { scope } = await pullDirectory(c.var.deps, c.var.access, c.req.param("id")!);
    return c.json({ object: "list", ...(await listSyncRuns(c.var.deps.db, scope, query)) });
  })
  .get("/sync_runs/:run_id", async (c) => {
    const { scope } = await pullDirectory(c.var.deps, c.var.access, c.req.param("id")!);
    const row = await getSyncRunRow(c.var.deps.db, scope, c.req.param("run_id"));
    if (!row) throw new GatewayError("not_found", `sync run not found: ${c.req.param("run_id")}`);
    return c.json(toSyncRun(row));
  })
  .post("/sync_runs/:run_id/confirm", async (c) => {
    const { scope } = await pullDirectory(c.var.deps, c.var.access, c.req.param("id")!);
    return c.json(await new PullSyncScheduler(c.var.deps).confirm(scope, c.req.param("run_id")));
  })
  .post("/sync_runs/:run_id/reject", async (c) => {
    const { scope } = await pullDirectory(c.var.deps, c.var.access, c.req.param("id")!);
    return c.json(await new PullSyncScheduler(c.var.deps).reject(scope, c.req.param("run_id")));
  });
