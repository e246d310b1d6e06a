// Google Workspace (Admin SDK Directory API) users and groups -> canonical records through the
// "gsuite directory" preset (presets.ts) or a directory's merged mapping. Google keeps job data in
// repeated fields (organizations[], externalIds[], relations[]), which the preset's value filters pick.
import type { CanonicalGroupInput, CanonicalUserInput } from "../model/index.js";
import { normalizeGroupRecord, normalizeUserRecord, type UserMapping } from "./mapping.js";
import { GOOGLE_ADMIN_USER_MAPPING, PRESETS } from "./presets.js";

export function normalizeGoogleUser(id: string, raw: Record<string, unknown>, mapping: UserMapping = GOOGLE_ADMIN_USER_MAPPING): CanonicalUserInput {
  return normalizeUserRecord(mapping, raw, id);
}

export function normalizeGoogleGroup(id: string, raw: Record<string, unknown>): CanonicalGroupInput {
  return normalizeGroupRecord(PRESETS["gsuite directory"].group, raw, id);
}
