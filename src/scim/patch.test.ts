import { describe, expect, it } from "vitest";
import { applyPatchOps, extractMemberChanges, type PatchOperation, type ScimResource } from "./patch.js";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

const base: ScimResource = {
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
  userName: "alice@acme.test",
  externalId: "a-1",
  name: { givenName: "Alice", familyName: "Liddell" },
  active: true,
  emails: [{ value: "alice@acme.test", type: "work", primary: true }],
};

function patch(operations: PatchOperation[], resource: ScimResource = base): ScimResource {
  const result = applyPatchOps(resource, operations);
  if (!result.ok) throw new Error(`${result.error.scimType}: ${result.error.detail}`);
  return result.value;
}

describe("applyPatchOps", () => {
  it("never mutates the resource it is given", () => {
    const copy = structuredClone(base);
    patch([{ op: "replace", path: "name.givenName", value: "Alicia" }, { op: "remove", path: "emails" }]);
    expect(base).toEqual(copy);
  });

  it.each<[string, PatchOperation[], (r: ScimResource) => unknown, unknown]>([
    ["Entra's capitalised Replace of a sub-attribute", [{ op: "Replace", path: "name.givenName", value: "Alicia" }], (r) => r.name, { givenName: "Alicia", familyName: "Liddell" }],
    ["Entra's Replace of active with the string False (kept for the normalizer)", [{ op: "Replace", path: "active", value: "False" }], (r) => r.active, "False"],
    ["Okta's replace without a path carrying an object", [{ op: "replace", value: { active: false } }], (r) => r.active, false],
    ["a path-less value with flattened sub-attribute keys", [{ op: "replace", value: { "name.familyName": "Hargreaves" } }], (r) => r.name, { givenName: "Alice", familyName: "Hargreaves" }],
    ["attribute names in any case, keeping the stored spelling", [{ op: "replace", path: "NAME.GIVENNAME", value: "Al" }], (r) => r.name, { givenName: "Al", familyName: "Liddell" }],
    ["an enterprise attribute by URN path, adding the extension schema", [{ op: "Add", path: `${ENTERPRISE}:department`, value: "R&D" }], (r) => [r[ENTERPRISE], (r.schemas as string[]).includes(ENTERPRISE)], [{ department: "R&D" }, true]],
    ["a filtered path as a key of a path-less value", [{ op: "Add", value: { 'emails[type eq "work"].value': "w@acme.test" } }], (r) => r.emails, [{ value: "w@acme.test", type: "work", primary: true }]],
    ["a flattened enterprise key in a path-less value", [{ op: "replace", value: { [`${ENTERPRISE}:employeeNumber`]: "42" } }], (r) => r[ENTERPRISE], { employeeNumber: "42" }],
    ["a whole extension object by its URN", [{ op: "add", path: ENTERPRISE, value: { department: "Ops" } }], (r) => r[ENTERPRISE], { department: "Ops" }],
    ["a manager by URN path", [{ op: "Add", path: `${ENTERPRISE}:manager`, value: { value: "u-9" } }], (r) => r[ENTERPRISE], { manager: { value: "u-9" } }],
    ["the value of the e-mail a filter selects", [{ op: "replace", path: 'emails[type eq "work"].value', value: "a@new.test" }], (r) => r.emails, [{ value: "a@new.test", type: "work", primary: true }]],
    [
      "an e-mail created from the filter when none matches (Entra)",
      [{ op: "Add", path: 'emails[type eq "home"].value', value: "a@home.test" }],
      (r) => r.emails,
      [{ value: "alice@acme.test", type: "work", primary: true }, { type: "home", value: "a@home.test" }],
    ],
    [
      "an added primary e-mail takes primary from the old one",
      [{ op: "add", path: "emails", value: [{ value: "new@acme.test", type: "other", primary: true }] }],
      (r) => r.emails,
      [{ value: "alice@acme.test", type: "work", primary: false }, { value: "new@acme.test", type: "other", primary: true }],
    ],
    ["adding an e-mail already present changes nothing", [{ op: "add", path: "emails", value: [{ value: "alice@acme.test", type: "work" }] }], (r) => (r.emails as unknown[]).length, 1],
    ["remove of an attribute", [{ op: "remove", path: "name.familyName" }], (r) => r.name, { givenName: "Alice" }],
    ["remove of the element a filter selects", [{ op: "remove", path: 'emails[type eq "work"]' }], (r) => r.emails, undefined],
    ["replace of a complex attribute keeps unnamed sub-attributes", [{ op: "replace", path: "name", value: { givenName: "A" } }], (r) => r.name, { givenName: "A", familyName: "Liddell" }],
    ["ops on id and meta are ignored (Okta repeats id)", [{ op: "replace", value: { id: "other", displayName: "Alice L" } }], (r) => [r.id, r.displayName], [undefined, "Alice L"]],
    ["several ops in order", [{ op: "add", path: "title", value: "CTO" }, { op: "replace", path: "title", value: "CEO" }], (r) => r.title, "CEO"],
  ])("applies %s", (_name, operations, pick, expected) => {
    expect(pick(patch(operations))).toEqual(expected);
  });

  it.each<[string, PatchOperation[], string]>([
    ["an unknown op", [{ op: "merge", path: "title", value: "x" }], "invalidSyntax"],
    ["remove without a path", [{ op: "remove" }], "noTarget"],
    ["a path-less op with a non-object value", [{ op: "replace", value: "x" }], "invalidValue"],
    ["a malformed path", [{ op: "replace", path: 'emails[type eq "work"', value: "x" }], "invalidPath"],
    ["a filter that matches nothing and describes no element", [{ op: "replace", path: 'emails[value co "zzz"].type', value: "x" }], "noTarget"],
    ["add with no value", [{ op: "add", path: "title" }], "invalidValue"],
  ])("rejects %s", (_name, operations, scimType) => {
    const result = applyPatchOps(base, operations);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.scimType).toBe(scimType);
  });
});

describe("extractMemberChanges", () => {
  it.each<[string, PatchOperation[], unknown]>([
    ["Okta's add", [{ op: "add", path: "members", value: [{ value: "u1", display: "a" }, { value: "u2" }] }], [{ kind: "add", ids: ["u1", "u2"] }]],
    ["Okta's remove by filter", [{ op: "remove", path: 'members[value eq "u1"]' }], [{ kind: "remove", ids: ["u1"] }]],
    ["Entra's Remove with path members and a value", [{ op: "Remove", path: "members", value: [{ value: "u1" }, { value: "u2" }] }], [{ kind: "remove", ids: ["u1", "u2"] }]],
    ["remove of all members", [{ op: "remove", path: "members" }], [{ kind: "removeAll" }]],
    ["replace of the whole list", [{ op: "replace", path: "members", value: [{ value: "u3" }] }], [{ kind: "replace", ids: ["u3"] }]],
    ["members in a path-less add", [{ op: "add", value: { members: [{ value: "u4" }] } }], [{ kind: "add", ids: ["u4"] }]],
    ["or-joined member filters", [{ op: "remove", path: 'members[value eq "a" or value eq "b"]' }], [{ kind: "remove", ids: ["a", "b"] }]],
  ])("reads %s", (_name, operations, expected) => {
    const result = extractMemberChanges(operations);
    expect(result.ok && result.value.members).toEqual(expected);
    expect(result.ok && result.value.attributes).toEqual([]);
  });

  it("keeps a rename beside member changes, in order", () => {
    const result = extractMemberChanges([
      { op: "replace", value: { id: "g1", displayName: "Renamed", members: [{ value: "u1" }] } },
      { op: "Add", path: "members", value: [{ value: "u2" }] },
    ]);
    expect(result).toEqual({
      ok: true,
      value: {
        members: [{ kind: "replace", ids: ["u1"] }, { kind: "add", ids: ["u2"] }],
        attributes: [{ op: "replace", value: { id: "g1", displayName: "Renamed" } }],
      },
    });
  });

  it.each<[string, PatchOperation[]]>([
    ["a member without a value", [{ op: "add", path: "members", value: [{ display: "x" }] }]],
    ["a member filter on something else than value", [{ op: "remove", path: 'members[display eq "x"]' }]],
    ["add on a filtered members path", [{ op: "add", path: 'members[value eq "x"]', value: {} }]],
  ])("rejects %s", (_name, operations) => {
    expect(extractMemberChanges(operations).ok).toBe(false);
  });
});
