// Okta Management API users and groups -> canonical records through the "okta api" preset
// (presets.ts) or a directory's merged mapping. raw_attributes keep the record as the SDK returned it.
import type { CanonicalGroupInput, CanonicalUserInput } from "../model/index.js";
import { normalizeGroupRecord, normalizeUserRecord, type UserMapping } from "./mapping.js";
import { OKTA_API_USER_MAPPING, PRESETS } from "./presets.js";

export function normalizeOktaUser(id: string, raw: Record<string, unknown>, mapping: UserMapping = OKTA_API_USER_MAPPING): CanonicalUserInput {
  return normalizeUserRecord(mapping, raw, id);
}

export function normalizeOktaGroup(id: string, raw: Record<string, unknown>): CanonicalGroupInput {
  return normalizeGroupRecord(PRESETS["okta api"].group, raw, id);
}
