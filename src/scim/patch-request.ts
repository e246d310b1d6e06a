// Reads a PatchOp request body (RFC 7644 §3.5.2): the PatchOp schema and a non-empty Operations list.
// Key names are matched case-insensitively ("Operations", "operations"), as clients vary.
import { scimError } from "./errors.js";
import { getIgnoringCase } from "../normalize/scim-filter-match.js";
import type { PatchOperation } from "./patch.js";
import { hasSchema, PATCH_SCHEMA } from "./resources.js";

export function readPatchOperations(body: Record<string, unknown>): PatchOperation[] {
  if (!hasSchema(body, PATCH_SCHEMA)) throw scimError("invalid_input", `schemas must include ${PATCH_SCHEMA}`, "invalidSyntax");
  const operations = getIgnoringCase(body, "Operations");
  if (!Array.isArray(operations) || operations.length === 0) {
    throw scimError("invalid_input", "Operations must be a non-empty array", "invalidSyntax");
  }
  return operations.map((item, i) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw scimError("invalid_input", `Operations[${i}] must be an object`, "invalidSyntax");
    const op = getIgnoringCase(item, "op");
    const path = getIgnoringCase(item, "path");
    if (typeof op !== "string") throw scimError("invalid_input", `Operations[${i}].op must be add, remove or replace`, "invalidSyntax");
    if (path !== undefined && path !== null && typeof path !== "string") throw scimError("invalid_input", `Operations[${i}].path must be a string`, "invalidPath");
    return { op, path: typeof path === "string" ? path : undefined, value: getIgnoringCase(item, "value") };
  });
}
