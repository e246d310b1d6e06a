import { describe, expect, it } from "vitest";
import { directoryUserJsonHead, toDirectoryUser, type UserJsonRow, type UserRow } from "./render.js";

const base: UserRow = {
  id: "directory_user_01J0000000000000000000000A",
  directoryId: "directory_01J0000000000000000000000B",
  organizationId: "org_01J0000000000000000000000C",
  idpId: "6b87d887-cc95-4944-a040-ff12fdaa8223",
  firstName: "Zoë",
  lastName: 'O"Brien \\ the second',
  name: "Zoë O'Brien",
  email: "zoe@acme.test",
  emails: [{ primary: true, type: "work", value: "zoe@acme.test" }],
  username: "zoe@acme.test",
  jobTitle: null,
  state: "active",
  customAttributes: { department: "R&D", manager_id: null },
  rawAttributes: { id: "6b87", nested: { list: [1, 2.5, "x"], flag: false }, "emoji 🙂": "\u2028" },
  role: { slug: "admin" },
  syncMark: "run_1",
  createdAt: new Date("2026-11-29T09:31:27.616Z"),
  updatedAt: new Date("2026-11-29T10:00:00.001Z"),
};

/** The row as the bulk path reads it: jsonb columns as JSON text. */
function asJsonRow(row: UserRow): UserJsonRow {
  const { syncMark: _mark, ...rest } = row;
  return {
    ...rest,
    emails: JSON.stringify(row.emails),
    customAttributes: JSON.stringify(row.customAttributes),
    rawAttributes: JSON.stringify(row.rawAttributes),
    role: row.role === null ? null : JSON.stringify(row.role),
  };
}

describe("directoryUserJsonHead", () => {
  it.each([
    ["a user with every field", base],
    ["a user with nulls and no role", { ...base, firstName: null, lastName: null, name: null, email: null, username: null, role: null, emails: [] }],
    ["an inactive user", { ...base, state: "inactive" as const }],
  ])("renders %s exactly as toDirectoryUser", (_name, row) => {
    const groups = [{ object: "directory_group", id: "directory_group_1" }];
    const parsed = JSON.parse(`${directoryUserJsonHead(asJsonRow(row))}${JSON.stringify(groups)}}`);
    expect(parsed).toStrictEqual({ ...toDirectoryUser(row, []), groups });
  });
});
