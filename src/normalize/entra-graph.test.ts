import { describe, expect, it } from "vitest";
import { normalizeEntraGroup, normalizeEntraUser } from "./entra-graph.js";

const adele = {
  id: "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
  userPrincipalName: "AdeleV@contoso.com",
  mail: "AdeleV@contoso.com",
  givenName: "Adele",
  surname: "Vance",
  displayName: "Adele Vance",
  accountEnabled: true,
  jobTitle: "Retail Manager",
  department: "Retail",
  employeeId: "E1042",
  onPremisesExtensionAttributes: { extensionAttribute1: "CC-4711" },
};

describe("normalizeEntraUser", () => {
  it("maps Graph properties onto the canonical user and keeps the record as raw_attributes", () => {
    expect(normalizeEntraUser(adele.id, adele)).toEqual({
      idp_id: adele.id,
      first_name: "Adele",
      last_name: "Vance",
      name: "Adele Vance",
      email: "AdeleV@contoso.com",
      emails: [{ primary: true, type: "work", value: "AdeleV@contoso.com" }],
      username: "AdeleV@contoso.com",
      job_title: "Retail Manager",
      state: "active",
      custom_attributes: { department: "Retail", employee_number: "E1042" },
      raw_attributes: adele,
    });
  });

  it.each([
    ["accountEnabled false is inactive", { accountEnabled: false }, { state: "inactive" }],
    ["accountEnabled absent is active", { accountEnabled: undefined }, { state: "active" }],
    ["a user without a mailbox falls back to the UPN", { mail: null }, { email: "AdeleV@contoso.com" }],
    ["empty strings are no value", { jobTitle: "", givenName: "  " }, { job_title: null, first_name: null }],
    [
      "otherMails follow the primary address, once each",
      { otherMails: ["adele@home.example", "AdeleV@contoso.com"] },
      { emails: [{ primary: true, type: "work", value: "AdeleV@contoso.com" }, { primary: false, type: "other", value: "adele@home.example" }] },
    ],
    [
      "cost center and division come from employeeOrgData",
      { employeeOrgData: { costCenter: "CC-1", division: "Retail West" } },
      { custom_attributes: { department: "Retail", employee_number: "E1042", cost_center: "CC-1", division: "Retail West" } },
    ],
  ])("%s", (_name, patch, expected) => {
    expect(normalizeEntraUser(adele.id, { ...adele, ...patch })).toMatchObject(expected);
  });
});

describe("normalizeEntraGroup", () => {
  it("names the group by displayName and leaves membership links out of raw_attributes", () => {
    const raw = { id: "g1", displayName: "VPN Users", securityEnabled: true, "members@delta": [{ id: "u1" }] };
    expect(normalizeEntraGroup("g1", raw)).toEqual({ idp_id: "g1", name: "VPN Users", raw_attributes: { id: "g1", displayName: "VPN Users", securityEnabled: true } });
  });
});
