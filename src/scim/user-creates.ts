// Coalesces concurrent SCIM user creates for one directory into one unit of work: one uniqueness query
// for the whole batch and one upsertUsers call. Writes to a directory are serialized by its lock, so
// the round trips inside that unit set a directory's ceiling; an IdP's initial push is mostly creates.
// Each create still gets its own answer: the user, or a 409 for a taken userName or externalId.
import type { DirectoryUser } from "../model/index.js";
import { newId } from "../model/index.js";
import { normalizeScimUser } from "../normalize/index.js";
import { ops, type DirectoryScope, type DirectoryWrite, type Reconciler } from "../sync/index.js";
import { findTakenUserKeys } from "../sync/lookup.js";
import { scimError } from "./errors.js";

/** One create waiting for its batch. */
interface PendingCreate {
  resource: Record<string, unknown>;
  userName: string;
  externalId: string | null;
  resolve(user: DirectoryUser): void;
  reject(error: unknown): void;
}

interface DirectoryQueue {
  scope: DirectoryScope;
  waiting: PendingCreate[];
  running: boolean;
}

/** Most creates in one unit of work; more wait for the next. */
const MAX_BATCH = 100;

export class UserCreateBatcher {
  private readonly queues = new Map<string, DirectoryQueue>();

  constructor(private readonly reconciler: Reconciler) {}

  /** Creates the user described by `resource` (already validated), or rejects with a SCIM 409. */
  create(scope: DirectoryScope, resource: Record<string, unknown>, userName: string, externalId: string | null): Promise<DirectoryUser> {
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(scope.directoryId);
      if (!queue) {
        queue = { scope, waiting: [], running: false };
        this.queues.set(scope.directoryId, queue);
      }
      queue.waiting.push({ resource, userName, externalId, resolve, reject });
      // While a batch is being written, later creates gather for the next one.
      if (!queue.running) void this.drain(queue);
    });
  }

  private async drain(queue: DirectoryQueue): Promise<void> {
    queue.running = true;
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, MAX_BATCH);
      try {
        const outcomes = await this.reconciler.write(queue.scope, (w) => writeBatch(w, queue.scope, batch));
        batch.forEach((pending, i) => {
          const outcome = outcomes[i]!;
          if (outcome instanceof Error) pending.reject(outcome);
          else pending.resolve(outcome);
        });
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    queue.running = false;
    this.queues.delete(queue.scope.directoryId);
  }
}

/** Checks the batch against stored users and against itself, then writes the creates that remain. */
async function writeBatch(w: DirectoryWrite, scope: DirectoryScope, batch: PendingCreate[]): Promise<(DirectoryUser | Error)[]> {
  const taken = await findTakenUserKeys(
    w.tx,
    scope,
    batch.map((p) => p.userName),
    batch.flatMap((p) => (p.externalId ? [p.externalId] : [])),
  );
  const outcomes: (DirectoryUser | Error | null)[] = [];
  const accepted: { index: number; idpId: string; resource: Record<string, unknown> }[] = [];
  for (const [index, pending] of batch.entries()) {
    const name = pending.userName.toLowerCase();
    if (taken.userNames.has(name)) {
      outcomes.push(scimError("conflict", `a user with userName ${JSON.stringify(pending.userName)} already exists`, "uniqueness"));
    } else if (pending.externalId && taken.idpIds.has(pending.externalId)) {
      outcomes.push(scimError("conflict", `a user with externalId ${JSON.stringify(pending.externalId)} already exists`, "uniqueness"));
    } else {
      // Without an externalId the idp_id is an id of ours, assigned here so it never changes.
      const idpId = pending.externalId ?? newId("directory_user");
      taken.userNames.add(name);
      taken.idpIds.add(idpId);
      accepted.push({ index, idpId, resource: pending.resource });
      outcomes.push(null);
    }
  }
  const results = await ops.upsertUsers(w, accepted.map((a) => normalizeScimUser(a.resource, a.idpId)));
  accepted.forEach((a, i) => (outcomes[a.index] = results[i]!.user));
  return outcomes as (DirectoryUser | Error)[];
}
