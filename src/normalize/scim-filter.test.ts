import { describe, expect, it } from "vitest";
import { matchesFilter } from "./scim-filter-match.js";
import { parseScimFilter, parseScimPath, type Filter } from "./scim-filter.js";

const attr = (name: string, sub: string | null = null, uri: string | null = null) => ({ uri, name, sub });
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

describe("parseScimFilter", () => {
  it.each<[string, Filter]>([
    ['userName eq "bjensen"', { kind: "compare", attr: attr("userName"), op: "eq", value: "bjensen" }],
    ['USERNAME EQ "bjensen"', { kind: "compare", attr: attr("USERNAME"), op: "eq", value: "bjensen" }],
    ['name.familyName co "O\'Malley"', { kind: "compare", attr: attr("name", "familyName"), op: "co", value: "O'Malley" }],
    ['userName sw "J"', { kind: "compare", attr: attr("userName"), op: "sw", value: "J" }],
    ['emails.value ew "@example.com"', { kind: "compare", attr: attr("emails", "value"), op: "ew", value: "@example.com" }],
    ["title pr", { kind: "present", attr: attr("title") }],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', { kind: "compare", attr: attr("meta", "lastModified"), op: "gt", value: "2011-05-13T04:42:34Z" }],
    ["active eq True", { kind: "compare", attr: attr("active"), op: "eq", value: true }],
    ["x ne null", { kind: "compare", attr: attr("x"), op: "ne", value: null }],
    ["age ge -1.5e2", { kind: "compare", attr: attr("age"), op: "ge", value: -150 }],
    ['displayName eq "a \\"quoted\\" \\u00e9"', { kind: "compare", attr: attr("displayName"), op: "eq", value: 'a "quoted" é' }],
    [
      `${ENTERPRISE}:employeeNumber eq "701984"`,
      { kind: "compare", attr: attr("employeeNumber", null, ENTERPRISE), op: "eq", value: "701984" },
    ],
    [
      `${ENTERPRISE}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`,
      { kind: "compare", attr: attr("manager", "value", ENTERPRISE), op: "eq", value: "26118915-6090-4610-87e4-49d8ca9f808d" },
    ],
  ])("parses %s", (input, expected) => {
    expect(parseScimFilter(input)).toEqual({ ok: true, value: expected });
  });

  it("gives and precedence over or, left to right", () => {
    const result = parseScimFilter('a eq "1" or b eq "2" and c eq "3" or d pr');
    expect(result.ok && result.value).toEqual({
      kind: "or",
      left: {
        kind: "or",
        left: { kind: "compare", attr: attr("a"), op: "eq", value: "1" },
        right: {
          kind: "and",
          left: { kind: "compare", attr: attr("b"), op: "eq", value: "2" },
          right: { kind: "compare", attr: attr("c"), op: "eq", value: "3" },
        },
      },
      right: { kind: "present", attr: attr("d") },
    });
  });

  it("parses parentheses, not and value paths", () => {
    const result = parseScimFilter('userType eq "Employee" and not (emails co "example.com" or emails.value co "example.org") and emails[type eq "work" and value co "@example.com"]');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.kind).toBe("and");
    const right = (result.value as { right: Filter }).right;
    expect(right).toEqual({
      kind: "valuePath",
      attr: attr("emails"),
      filter: {
        kind: "and",
        left: { kind: "compare", attr: attr("type"), op: "eq", value: "work" },
        right: { kind: "compare", attr: attr("value"), op: "co", value: "@example.com" },
      },
    });
  });

  it('reads emails[type eq "work"].value eq "x" as a value path with both conditions', () => {
    const result = parseScimFilter('emails[type eq "work"].value eq "a@b.c"');
    expect(result).toEqual({
      ok: true,
      value: {
        kind: "valuePath",
        attr: attr("emails"),
        filter: {
          kind: "and",
          left: { kind: "compare", attr: attr("type"), op: "eq", value: "work" },
          right: { kind: "compare", attr: attr("value"), op: "eq", value: "a@b.c" },
        },
      },
    });
  });

  it.each([
    "",
    "userName",
    'userName eq',
    'userName eq bjensen',
    'userName xx "a"',
    'userName eq "unterminated',
    '(userName eq "a"',
    'userName eq "a")',
    'userName eq "a" and',
    'userName eq "a" userName eq "b"',
    'emails[type eq "work"',
    "1abc eq 1",
    'userName eq "a" # comment',
    "a.b.c eq 1",
    'not userName eq "a"',
    "x".repeat(5000),
    "(".repeat(200) + 'a eq "b"' + ")".repeat(200),
  ])("rejects %j with invalidFilter", (input) => {
    const result = parseScimFilter(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.scimType).toBe("invalidFilter");
  });
});

describe("parseScimPath", () => {
  it.each([
    ["name.givenName", { attr: attr("name", "givenName"), filter: null, sub: null }],
    ["active", { attr: attr("active"), filter: null, sub: null }],
    [`${ENTERPRISE}:department`, { attr: attr("department", null, ENTERPRISE), filter: null, sub: null }],
    [
      'members[value eq "2819c223"]',
      { attr: attr("members"), filter: { kind: "compare", attr: attr("value"), op: "eq", value: "2819c223" }, sub: null },
    ],
    [
      'emails[type eq "work"].value',
      { attr: attr("emails"), filter: { kind: "compare", attr: attr("type"), op: "eq", value: "work" }, sub: "value" },
    ],
  ])("parses %s", (input, expected) => {
    expect(parseScimPath(input)).toEqual({ ok: true, value: expected });
  });

  it.each(['members[value eq "x"', "name..givenName", 'emails[type eq "work"] extra', "name.givenName[type eq \"x\"]"])("rejects %j with invalidPath", (input) => {
    const result = parseScimPath(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.scimType).toBe("invalidPath");
  });
});

describe("matchesFilter (RFC 7644 comparison rules)", () => {
  const user = {
    userName: "Alice@Example.com",
    externalId: "Ext-1",
    active: "False",
    emails: [
      { value: "alice@example.com", type: "work", primary: true },
      { value: "alice@home.test", type: "home" },
    ],
    [ENTERPRISE]: { department: "R&D" },
    age: 42,
  };
  const matches = (filter: string) => {
    const parsed = parseScimFilter(filter);
    if (!parsed.ok) throw new Error(parsed.error.detail);
    return matchesFilter(user, parsed.value);
  };

  it.each([
    ['userName eq "alice@example.com"', true],
    ['username EQ "ALICE@EXAMPLE.COM"', true],
    ['externalId eq "ext-1"', false],
    ['externalId eq "Ext-1"', true],
    ["active eq false", true],
    ['emails[type eq "work"].value eq "alice@example.com"', true],
    ['emails[type eq "home" and primary eq true]', false],
    ['emails.value co "home"', true],
    ['userName sw "alice"', true],
    ['userName ew ".COM"', true],
    ["title pr", false],
    ["title eq null", true],
    ["age gt 41 and age le 42", true],
    ["age lt 42", false],
    [`${ENTERPRISE}:department eq "r&d"`, true],
    ['not (userName eq "alice@example.com")', false],
    ['userName ne "bob"', true],
    ['title ne "x"', true],
  ])("%s -> %s", (filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });
});
