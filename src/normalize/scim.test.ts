import { describe, expect, it } from "vitest";
import { CanonicalUser } from "../model/index.js";
import { normalizeEntraBooleans, normalizeScimGroup, normalizeScimUser, scimBoolean } from "./scim.js";
import { mergeMapping } from "./mapping.js";
import { ENTERPRISE_USER_SCHEMA, GENERIC_SCIM_USER_MAPPING } from "./presets.js";

const resource = {
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER_SCHEMA],
  userName: "alice@acme.test",
  name: { givenName: "Alice", familyName: "Liddell", formatted: "Alice P. Liddell" },
  emails: [
    { value: "alice@home.test", type: "home" },
    { value: "alice@acme.test", type: "work", primary: "True" },
  ],
  title: "Engineer",
  active: true,
  [ENTERPRISE_USER_SCHEMA]: { department: "R&D", employeeNumber: 701984, costCenter: "4130", division: "Ops", organization: "Acme", manager: { value: "mgr-1", displayName: "Boss" } },
};

describe("normalizeScimUser", () => {
  it("maps the core and enterprise attributes onto a valid canonical user", () => {
    const user = normalizeScimUser(resource, "idp-1");
    expect(CanonicalUser.parse(user)).toMatchObject({
      idp_id: "idp-1",
      first_name: "Alice",
      last_name: "Liddell",
      name: "Alice P. Liddell",
      username: "alice@acme.test",
      email: "alice@acme.test",
      job_title: "Engineer",
      state: "active",
      custom_attributes: { department: "R&D", employee_number: "701984", cost_center: "4130", division: "Ops", organization: "Acme", manager_id: "mgr-1" },
      raw_attributes: resource,
    });
  });

  it("puts the primary e-mail first, keeping the others in order", () => {
    expect(normalizeScimUser(resource, "x").emails).toEqual([
      { value: "alice@acme.test", type: "work", primary: true },
      { value: "alice@home.test", type: "home", primary: false },
    ]);
  });

  it.each<[unknown, "active" | "inactive"]>([
    [true, "active"],
    [false, "inactive"],
    ["False", "inactive"],
    ["true", "active"],
    [undefined, "active"],
  ])("reads active %j as %s", (active, state) => {
    expect(normalizeScimUser({ userName: "a", active }, "x").state).toBe(state);
  });

  it("prefers displayName, falls back to name.formatted, and uses userName as e-mail when it is one", () => {
    const user = normalizeScimUser({ userName: "bob@acme.test", displayName: "Bobby", name: { formatted: "Robert" } }, "x");
    expect(user).toMatchObject({ name: "Bobby", email: "bob@acme.test", emails: [] });
    expect(normalizeScimUser({ userName: "bob", name: { formatted: "Robert" } }, "x")).toMatchObject({ name: "Robert", email: null });
  });

  it("reads attribute names in any case and a flattened enterprise key", () => {
    const user = normalizeScimUser({ USERNAME: "c", Name: { GivenName: "Cy" }, [`${ENTERPRISE_USER_SCHEMA}:department`]: "Ops" }, "x");
    expect(user).toMatchObject({ username: "c", first_name: "Cy", custom_attributes: { department: "Ops" } });
  });

  it("takes a manager sent as a bare id (Entra)", () => {
    expect(normalizeScimUser({ userName: "d", [ENTERPRISE_USER_SCHEMA]: { manager: "mgr-2" } }, "x").custom_attributes).toEqual({ manager_id: "mgr-2" });
  });

  it("follows a different mapping given as data", () => {
    const mapping = { ...mergeMapping(GENERIC_SCIM_USER_MAPPING, { fields: { job_title: { sources: [{ path: "userType" }] } } }), custom_attributes: { nick: { sources: [{ path: "nickName" }] } } };
    expect(normalizeScimUser({ userName: "e", userType: "Contractor", nickName: "Ed", title: "CEO" }, "x", mapping)).toMatchObject({
      job_title: "Contractor",
      custom_attributes: { nick: "Ed" },
    });
  });
});

describe("normalizeEntraBooleans", () => {
  it("turns string booleans of active and primary flags into booleans and leaves the rest", () => {
    expect(normalizeEntraBooleans({ active: "False", emails: [{ value: "a", primary: "True" }, "x"], title: "True" })).toEqual({
      active: false,
      emails: [{ value: "a", primary: true }, "x"],
      title: "True",
    });
  });

  it.each([["yes", null], [1, null], ["FALSE", false], [" true ", true]])("scimBoolean(%j) is %j", (input, expected) => {
    expect(scimBoolean(input)).toBe(expected);
  });
});

describe("normalizeScimGroup", () => {
  it("keeps the resource as raw attributes and the displayName as name", () => {
    expect(normalizeScimGroup({ displayName: "Admins", externalId: "g" }, "g")).toEqual({ idp_id: "g", name: "Admins", raw_attributes: { displayName: "Admins", externalId: "g" } });
  });
});
