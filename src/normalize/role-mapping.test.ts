import { describe, expect, it } from "vitest";
import { RoleMapping, roleFor } from "./role-mapping.js";

const mapping: RoleMapping = {
  default_role: "member",
  rules: [
    { group_id: "g-eng", role_slug: "developer", priority: 20 },
    { group_id: "g-admins", role_slug: "admin", priority: 10 },
    { group_id: "g-ops", role_slug: "operator", priority: 20 },
  ],
};

describe("role mapping", () => {
  it.each<[string[], string | null]>([
    [["g-eng", "g-admins"], "admin"],
    [["g-eng"], "developer"],
    // Equal priority: the rule listed first wins.
    [["g-ops", "g-eng"], "developer"],
    [["g-other"], "member"],
    [[], "member"],
  ])("a member of %j gets %s", (groups, role) => {
    expect(roleFor(mapping, groups)).toBe(role);
  });

  it("has no role without a default when no rule matches", () => {
    expect(roleFor({ default_role: null, rules: [] }, ["g-eng"])).toBeNull();
  });

  it("rejects a group in two rules, bad slugs and unknown keys", () => {
    const result = RoleMapping.safeParse({
      default_role: "has space",
      rules: [
        { group_id: "g", role_slug: "a", priority: 1 },
        { group_id: "g", role_slug: "b", priority: 2, extra: true },
      ],
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join("."))).toEqual(expect.arrayContaining(["default_role", "rules.1"]));
  });
});
