// Group PATCHes that only add or remove members, as a batched write: the PATCHes waiting for one
// directory become one set-based membership write per run of adds or removes (reconcile's
// addMemberships / removeMemberships), not a handful of statements per PATCH. IdPs push group
// membership this way (Okta and Entra send batches of members), many groups at once.
import type { DirectoryGroup } from "../model/index.js";
import { ops, type BatchedWrite, type DirectoryWrite } from "../sync/index.js";
import { scimError } from "./errors.js";

/** One PATCH: its group and its member changes, in order (adds and removes only). */
export interface MemberPatch {
  groupId: string;
  changes: { kind: "add" | "remove"; ids: string[] }[];
}

export const scimMemberPatches: BatchedWrite<MemberPatch, DirectoryGroup> = {
  name: "scim group member patches",
  apply: writeMemberPatches,
};

/**
 * Applies the PATCHes' changes in arrival order: consecutive adds (across PATCHes) go in one call,
 * then the removes that follow, and so on, which is what applying them one by one would do. A PATCH
 * whose group does not exist here is answered 404 alone.
 */
async function writeMemberPatches(w: DirectoryWrite, patches: MemberPatch[]): Promise<(DirectoryGroup | Error)[]> {
  const groups: (DirectoryGroup | null | undefined)[] = patches.map(() => undefined);
  let run: { kind: "add" | "remove"; patch: number; change: ops.MemberChange }[] = [];
  const flush = async () => {
    if (run.length === 0) return;
    const changes = run.map((r) => r.change);
    const results = run[0]!.kind === "add" ? await ops.addMemberships(w, changes) : await ops.removeMemberships(w, changes);
    results.forEach((result, i) => (groups[run[i]!.patch] = result?.group ?? null));
    run = [];
  };
  for (const [patch, { groupId, changes }] of patches.entries()) {
    for (const change of changes) {
      if (run.length > 0 && run[0]!.kind !== change.kind) await flush();
      // Reconcile resolves refs within this directory and skips the rest (reported as missing).
      run.push({ kind: change.kind, patch, change: { group: { id: groupId }, users: [...new Set(change.ids)].map((id) => ({ id })) } });
    }
  }
  await flush();
  return patches.map((patch, i) => groups[i] ?? scimError("not_found", `group not found: ${patch.groupId}`));
}
