// SCIM user deletes (DELETE /Users/:id without If-Match) as a batched write: the deletes waiting for one
// directory go to one set-based deleteUsers call (one read, one delete, their events in arrival order)
// instead of three statements each. Deprovisioning often deletes many users at once.
import type { DirectoryUser } from "../model/index.js";
import { ops, type BatchedWrite, type DirectoryWrite } from "../sync/index.js";
import { scimError } from "./errors.js";

export const scimUserDeletes: BatchedWrite<{ id: string }, DirectoryUser> = {
  name: "scim user deletes",
  apply: deleteUsers,
};

async function deleteUsers(w: DirectoryWrite, deletes: { id: string }[]): Promise<(DirectoryUser | Error)[]> {
  const deleted = new Map((await ops.deleteUsers(w, deletes.map(({ id }) => ({ id })))).map((user) => [user.id, user]));
  // The first delete of a user removes it; a repeat in the same batch finds nothing, as it would alone.
  const answered = new Set<string>();
  return deletes.map(({ id }) => {
    const user = deleted.get(id);
    if (!user || answered.has(id)) return scimError("not_found", `user not found: ${id}`);
    answered.add(id);
    return user;
  });
}
