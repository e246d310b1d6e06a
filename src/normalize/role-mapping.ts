// Role mapping as data: rules per directory that give a user a role slug from the groups it belongs
// to, by priority, with a default for users no rule matches. Stored per directory; applied set-based
// by sync/roles.ts whenever memberships change. Pure, no I/O.
import { z } from "zod";

const slug = z.string().regex(/^[a-z0-9][a-z0-9_:-]{0,63}$/i, "must be 1 to 64 letters, digits, _ : or -");

/** One rule: members of the group get the role; the lowest priority number among a user's groups wins. */
export const RoleRule = z.strictObject({
  group_id: z.string().min(1).max(100),
  role_slug: slug,
  priority: z.number().int().min(0).max(1_000_000),
});
export type RoleRule = z.infer<typeof RoleRule>;

/** A directory's role mapping; `default_role` is what users in no mapped group get (null: no role). */
export const RoleMapping = z.strictObject({
  default_role: slug.nullable(),
  rules: z
    .array(RoleRule)
    .max(500)
    .refine((rules) => new Set(rules.map((r) => r.group_id)).size === rules.length, "a group may appear in one rule only"),
});
export type RoleMapping = z.infer<typeof RoleMapping>;

/** Rules in the order they are tried: by priority, then as listed. */
export function orderedRules(mapping: RoleMapping): RoleRule[] {
  return mapping.rules.map((rule, index) => ({ rule, index })).sort((a, b) => a.rule.priority - b.rule.priority || a.index - b.index).map((r) => r.rule);
}

/** The role slug for a user in `groupIds` under `mapping` (the in-memory twin of sync/roles.ts's SQL). */
export function roleFor(mapping: RoleMapping, groupIds: Iterable<string>): string | null {
  const groups = new Set(groupIds);
  return orderedRules(mapping).find((rule) => groups.has(rule.group_id))?.role_slug ?? mapping.default_role;
}
