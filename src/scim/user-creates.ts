// SCIM user creates as a batched write: creates waiting for one directory are written in one call,
// with one uniqueness query for the whole batch and one multi-row insert. Writes to a directory are
// serialized by its lock, so the round trips inside that unit set a directory's ceiling; an IdP's
// initial push is mostly creates. Each create still gets its own answer: the user, or a 409 for a
// taken userName or externalId.
import type { DirectoryUser } from "../model/index.js";
import { newId } from "../model/index.js";
import { normalizeScimUser, userMappingFor } from "../normalize/index.js";
import { ops, type BatchedWrite, type DirectoryWrite } from "../sync/index.js";
import { findTakenUserKeys } from "../sync/lookup.js";
import { resolveManagerRefs } from "../sync/manager-refs.js";
import { scimError } from "./errors.js";

/** One create: the validated resource and the two keys that must be unique in the directory. */
export interface UserCreate {
  resource: Record<string, unknown>;
  userName: string;
  externalId: string | null;
}

type TakenKeys = Awaited<ReturnType<typeof findTakenUserKeys>>;

export const scimUserCreates: BatchedWrite<UserCreate, DirectoryUser, TakenKeys> = {
  name: "scim user creates",
  // The uniqueness check shares the directory lock's round trip.
  read: (tx, scope, batch) =>
    findTakenUserKeys(
      tx,
      scope,
      batch.map((p) => p.userName),
      batch.flatMap((p) => (p.externalId ? [p.externalId] : [])),
    ),
  apply: writeCreates,
};

/** Checks the batch against stored users (`taken`) and against itself, then writes the creates that remain. */
async function writeCreates(w: DirectoryWrite, batch: UserCreate[], taken: TakenKeys): Promise<(DirectoryUser | Error)[]> {
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
  // No accepted idp_id is stored (checked above, under the directory lock): upsertUsers need not look.
  // The directory's mapping as read under its lock, so a mapping change and these writes never interleave;
  // Entra's manager references (our ids) become idp_ids, one query for the whole batch.
  const mapping = userMappingFor(w.directory);
  const users = await resolveManagerRefs(w.tx, w.scope, accepted.map((a) => normalizeScimUser(a.resource, a.idpId, mapping)));
  const results = await ops.upsertUsers(w, users, { existing: [] });
  accepted.forEach((a, i) => (outcomes[a.index] = results[i]!.user));
  return outcomes as (DirectoryUser | Error)[];
}
