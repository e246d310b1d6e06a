// Lists (RFC 7644 §3.4.2): every filter operator compiled to SQL against stored users and groups,
// case-insensitive attribute names, startIndex / count paging, attributes / excludedAttributes, the
// .search POST, and the discovery endpoints.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../harness.js";
import { ENTERPRISE, filterQuery, GROUP, LIST, scimDirectory, USER, type ScimDirectory } from "./scim-client.js";

let h: Harness;
let dir: ScimDirectory;
const ids: Record<string, string> = {};

beforeAll(async () => {
  h = await createHarness();
  dir = await scimDirectory(h);
  const people = [
    { key: "ann", userName: "ann@acme.test", externalId: "E-ann", displayName: "Ann Lee", title: "Engineer", active: true, emails: [{ value: "ann@acme.test", type: "work", primary: true }, { value: "ann@home.test", type: "home" }], [ENTERPRISE]: { department: "R&D", employeeNumber: "100" }, x: { score: 7 } },
    { key: "bob", userName: "Bob@Acme.test", externalId: "E-bob", displayName: "Bob Stone", active: false, emails: [{ value: "bob@acme.test", type: "work", primary: true }], [ENTERPRISE]: { department: "Sales", employeeNumber: "200" }, x: { score: 12 } },
    { key: "cy", userName: "cy@other.test", displayName: "Cy", title: "", emails: [], [ENTERPRISE]: { department: "R&D" } },
  ];
  for (const { key, ...body } of people) {
    const res = await dir.call("POST", "/Users", { schemas: [USER, ENTERPRISE], ...body });
    expect(res.status).toBe(201);
    ids[key] = res.body.id;
  }
  const group = await dir.call("POST", "/Groups", { schemas: [GROUP], displayName: "Engineers", externalId: "G-eng", members: [{ value: ids.ann }] });
  ids.eng = group.body.id;
  ids.empty = (await dir.call("POST", "/Groups", { schemas: [GROUP], displayName: "Empty" })).body.id;
});
afterAll(() => h.close());

async function userIds(filter: string): Promise<string[]> {
  const res = await dir.call("GET", `/Users${filterQuery(filter)}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.Resources.map((r: { id: string }) => Object.entries(ids).find(([, id]) => id === r.id)?.[0]);
}

describe("user filters in SQL", () => {
  it.each<[string, string[]]>([
    ['userName eq "bob@acme.test"', ["bob"]],
    ['USERNAME Eq "ANN@ACME.TEST"', ["ann"]],
    ['userName ne "ann@acme.test"', ["bob", "cy"]],
    ['userName co "ACME"', ["ann", "bob"]],
    ['userName sw "b"', ["bob"]],
    ['userName ew "other.test"', ["cy"]],
    ['userName gt "bob@acme.test"', ["cy"]],
    ['userName ge "bob@acme.test"', ["bob", "cy"]],
    ['userName lt "b"', ["ann"]],
    ['userName le "ann@acme.test"', ["ann"]],
    ['externalId eq "E-ann"', ["ann"]],
    ['externalId eq "e-ann"', []],
    ["externalId pr", ["ann", "bob"]],
    ['displayName eq "bob stone"', ["bob"]],
    ["title pr", ["ann"]],
    ["not (title pr)", ["bob", "cy"]],
    ["title eq null", ["bob", "cy"]],
    ["active eq true", ["ann", "cy"]],
    ["active eq false", ["bob"]],
    ["active ne true", ["bob"]],
    ['emails.value eq "ann@home.test"', ["ann"]],
    ['emails eq "bob@acme.test"', ["bob"]],
    ['emails[type eq "home"]', ["ann"]],
    ['emails[type eq "work" and value co "bob"]', ["bob"]],
    ['emails[type eq "work"].value eq "ann@acme.test"', ["ann"]],
    ["emails pr", ["ann", "bob"]],
    ['emails[primary eq true and type eq "work"]', ["ann", "bob"]],
    [`${ENTERPRISE}:department eq "r&d"`, ["ann", "cy"]],
    [`urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:employeeNumber eq "200"`, ["bob"]],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "cy@other.test"', ["cy"]],
    ["x.score gt 10", ["bob"]],
    ["x.score le 7", ["ann"]],
    ['userName sw "a" or userName sw "c"', ["ann", "cy"]],
    ['userName sw "a" or userName sw "b" and active eq true', ["ann"]],
    ['(userName sw "a" or userName sw "b") and active eq false', ["bob"]],
    ['meta.created ge "2000-01-01T00:00:00Z"', ["ann", "bob", "cy"]],
    ['meta.lastModified lt "2000-01-01T00:00:00Z"', []],
    ['name.givenName eq "nobody"', []],
    ['userName eq "a\'); drop table directory_users; --"', []],
  ])("%s", async (filter, expected) => {
    expect(await userIds(filter)).toEqual(expected);
  });

  it("finds the user by id in a filter", async () => {
    expect(await userIds(`id eq "${ids.bob}"`)).toEqual(["bob"]);
  });
});

describe("group filters in SQL", () => {
  it.each<[string, string[]]>([
    ['displayName eq "engineers"', ["eng"]],
    ['displayName sw "E"', ["eng", "empty"]],
    ['externalId eq "G-eng"', ["eng"]],
    ["members pr", ["eng"]],
    ["not (members pr)", ["empty"]],
  ])("%s", async (filter, expected) => {
    const res = await dir.call("GET", `/Groups${filterQuery(filter)}`);
    expect(res.body.Resources.map((r: { id: string }) => Object.entries(ids).find(([, id]) => id === r.id)?.[0])).toEqual(expected);
  });

  it("finds groups by member id both ways", async () => {
    for (const filter of [`members[value eq "${ids.ann}"]`, `members.value eq "${ids.ann}"`]) {
      const res = await dir.call("GET", `/Groups${filterQuery(filter)}`);
      expect(res.body.Resources.map((r: { id: string }) => r.id)).toEqual([ids.eng]);
    }
  });
});

describe("paging and projection", () => {
  it("pages with startIndex and count and reports the total", async () => {
    const page = await dir.call("GET", "/Users?startIndex=2&count=1");
    expect(page.body).toMatchObject({ schemas: [LIST], totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    expect(page.body.Resources[0].id).toBe(ids.bob);
    const countOnly = await dir.call("GET", "/Users?count=0");
    expect(countOnly.body).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
    const clamped = await dir.call("GET", "/Users?startIndex=-4&count=100000");
    expect(clamped.body).toMatchObject({ startIndex: 1, totalResults: 3, itemsPerPage: 3 });
    const past = await dir.call("GET", "/Users?startIndex=10");
    expect(past.body).toMatchObject({ totalResults: 3, itemsPerPage: 0 });
  });

  it("returns only the attributes asked for, plus id and schemas", async () => {
    const res = await dir.call("GET", `/Users/${ids.ann}?attributes=userName,emails.value,${ENTERPRISE}:department`);
    expect(res.body).toEqual({
      schemas: [USER, ENTERPRISE],
      id: ids.ann,
      userName: "ann@acme.test",
      emails: [{ value: "ann@acme.test" }, { value: "ann@home.test" }],
      [ENTERPRISE]: { department: "R&D" },
    });
  });

  it("leaves out excluded attributes, never id", async () => {
    const res = await dir.call("GET", `/Users?excludedAttributes=emails,name,id,meta&filter=${encodeURIComponent('userName eq "ann@acme.test"')}`);
    const user = res.body.Resources[0];
    expect(user.id).toBe(ids.ann);
    expect(user).not.toHaveProperty("emails");
    expect(user).not.toHaveProperty("meta");
    expect(user.userName).toBe("ann@acme.test");
    const group = await dir.call("GET", `/Groups/${ids.eng}?excludedAttributes=members`);
    expect(group.body).not.toHaveProperty("members");
    expect(group.body.displayName).toBe("Engineers");
  });

  it("answers POST /.search like a GET list", async () => {
    const res = await dir.call("POST", "/Users/.search", {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
      filter: 'userName sw "b"',
      attributes: ["userName"],
      startIndex: 1,
      count: 10,
    });
    expect(res.status).toBe(200);
    expect(res.body.Resources).toEqual([{ schemas: [USER, ENTERPRISE], id: ids.bob, userName: "Bob@Acme.test" }]);
  });
});

describe("discovery", () => {
  it("describes the server, its resource types and schemas", async () => {
    const config = await dir.call("GET", "/ServiceProviderConfig");
    expect(config.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
      patch: { supported: true },
      filter: { supported: true, maxResults: 1000 },
      sort: { supported: false },
      changePassword: { supported: false },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      etag: { supported: true },
      authenticationSchemes: [{ type: "oauthbearertoken" }],
    });
    const types = await dir.call("GET", "/ResourceTypes");
    expect(types.body.Resources.map((r: { endpoint: string }) => r.endpoint)).toEqual(["/Users", "/Groups"]);
    expect((await dir.call("GET", "/ResourceTypes/User")).body.schemaExtensions).toEqual([{ schema: ENTERPRISE, required: false }]);
    const schemas = await dir.call("GET", "/Schemas");
    expect(schemas.body.Resources.map((s: { id: string }) => s.id)).toEqual([USER, GROUP, ENTERPRISE]);
    const user = await dir.call("GET", `/Schemas/${USER}`);
    expect(user.body.attributes.find((a: { name: string }) => a.name === "userName")).toMatchObject({ required: true, uniqueness: "server", caseExact: false });
    expect((await dir.call("GET", "/Schemas/urn:nope")).status).toBe(404);
  });
});
