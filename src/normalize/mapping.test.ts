import { describe, expect, it } from "vitest";
import { applyTransforms, MappingOverride, mergeMapping, normalizeUserRecord, readField, type Transform } from "./mapping.js";
import { parseSourcePath, readSourcePath } from "./path.js";
import { ENTERPRISE_USER_SCHEMA as ENTERPRISE, GENERIC_SCIM_USER_MAPPING, PRESETS } from "./presets.js";

const scimUser = {
  userName: "bjensen",
  emails: [
    { value: "babs@jensen.org", type: "home" },
    { value: "bjensen@example.com", type: "work", primary: true },
  ],
  [ENTERPRISE]: { department: "Tours", manager: { value: "m-1", displayName: "Boss" } },
  "urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User": { badgeId: "B-7", tags: "a; b ;c" },
  [`${ENTERPRISE}:costCenter`]: "4130",
  organizations: [{ title: "Intern" }, { title: "Guide", primary: true }],
  customSchemas: { Hr: { grade: 7, flags: ["x", "y"] } },
};

describe("readSourcePath", () => {
  it.each<[string, unknown[]]>([
    ["userName", ["bjensen"]],
    ["USERNAME", ["bjensen"]],
    ['emails[type eq "work"].value', ["bjensen@example.com"]],
    ["emails[primary eq true].value", ["bjensen@example.com"]],
    ["emails.value", ["babs@jensen.org", "bjensen@example.com"]],
    [`${ENTERPRISE}:department`, ["Tours"]],
    [`${ENTERPRISE}:manager.value`, ["m-1"]],
    // Some IdPs flatten an extension attribute into one top-level key.
    [`${ENTERPRISE}:costCenter`, ["4130"]],
    ["urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User:badgeId", ["B-7"]],
    ["urn:ietf:params:scim:schemas:core:2.0:User:userName", ["bjensen"]],
    ["organizations[primary eq true].title", ["Guide"]],
    ["customSchemas.Hr.grade", [7]],
    ["customSchemas.Hr.flags", [["x", "y"]]],
    ['emails[type eq "fax"].value', []],
    ["nothing.here", []],
    ["constructor", []],
    ["__proto__", []],
  ])("%s", (path, values) => {
    expect(readSourcePath(scimUser, path)).toEqual(values);
  });

  it.each(["", "emails[type eq", "emails[type eq \"work\"", "a..b", "emails[type zz 1]", "na me"])("rejects %j", (path) => {
    expect(parseSourcePath(path).ok).toBe(false);
  });
});

describe("transforms", () => {
  it.each<[unknown, Transform[], unknown]>([
    ["  Ada  ", [{ type: "trim" }], "Ada"],
    ["Ada@Example.COM", [{ type: "lowercase" }], "ada@example.com"],
    ["ops", [{ type: "uppercase" }], "OPS"],
    ["Ada Lovelace", [{ type: "split", separator: " ", index: 0 }], "Ada"],
    ["Ada King Lovelace", [{ type: "split", separator: " ", index: -1 }], "Lovelace"],
    ["a; b ;c", [{ type: "split", separator: ";" }], ["a", "b", "c"]],
    ["a;b", [{ type: "split", separator: ";" }, { type: "uppercase" }], ["A", "B"]],
    ["x", [{ type: "split", separator: " ", index: 3 }], null],
    ["bob", [{ type: "email" }], null],
    ["bob@example.com", [{ type: "email" }], "bob@example.com"],
    [42, [{ type: "lowercase" }], "42"],
  ])("%j through %j is %j", (value, transforms, expected) => {
    expect(applyTransforms(value, transforms)).toEqual(expected);
  });

  it("falls back to the next source, then to the default", () => {
    const field = { sources: [{ path: "nickName" }, { path: 'emails[type eq "work"].value', transforms: [{ type: "split" as const, separator: "@", index: 0 }] }] };
    expect(readField(scimUser, field)).toBe("bjensen");
    expect(readField(scimUser, { sources: [{ path: "nickName" }], default: "n/a" })).toBe("n/a");
    expect(readField(scimUser, { sources: [{ path: "customSchemas.Hr.flags" }], kind: "json" })).toEqual(["x", "y"]);
    expect(readField(scimUser, { sources: [{ path: `${ENTERPRISE}:manager` }], kind: "reference" })).toBe("m-1");
  });
});

describe("directory overrides", () => {
  it("validates overrides: paths, names and transforms", () => {
    expect(MappingOverride.safeParse({ fields: { email: { sources: [{ path: 'emails[type eq "work"].value' }] } } }).success).toBe(true);
    const bad = MappingOverride.safeParse({
      fields: { email: { sources: [{ path: "emails[type eq" }] }, nickname: { sources: [{ path: "x" }] } },
      custom_attributes: { "Bad Name": { sources: [{ path: "x" }] }, ok: { sources: [{ path: "x", transforms: [{ type: "rot13" }] }] } },
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["fields.email.sources.0.path", "fields", "custom_attributes.Bad Name", "custom_attributes.ok.sources.0.transforms.0.type"]));
  });

  it("merges on top of the preset: fields replaced whole, custom attributes added or removed", () => {
    const merged = mergeMapping(GENERIC_SCIM_USER_MAPPING, {
      fields: { email: { sources: [{ path: 'emails[type eq "home"].value' }] }, first_name: { sources: [{ path: "userName" }] } },
      custom_attributes: {
        badge: { sources: [{ path: "urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User:badgeId" }] },
        tags: { sources: [{ path: "urn:ietf:params:scim:schemas:extension:CustomExtension:2.0:User:tags", transforms: [{ type: "split", separator: ";" }] }] },
        department: null,
      },
    });
    const user = normalizeUserRecord(merged, scimUser, "x");
    expect(user).toMatchObject({ email: "babs@jensen.org", first_name: "bjensen", username: "bjensen" });
    expect(user.custom_attributes).toEqual({ badge: "B-7", tags: ["a", "b", "c"], cost_center: "4130", manager_id: "m-1" });
    // The preset itself is untouched.
    expect(PRESETS["generic scim v2.0"].user.custom_attributes.department).toBeDefined();
  });

  it("reads state from a status value or a list of allowed values", () => {
    const mapping = mergeMapping(GENERIC_SCIM_USER_MAPPING, { state: { sources: [{ path: `${ENTERPRISE}:employmentStatus` }], active_values: ["Active", "On Leave"] } });
    const withStatus = (employmentStatus?: string) => normalizeUserRecord(mapping, { userName: "a", [ENTERPRISE]: { employmentStatus } }, "x").state;
    expect([withStatus("active"), withStatus("On leave"), withStatus("Terminated"), withStatus(undefined)]).toEqual(["active", "active", "inactive", "active"]);
  });
});
