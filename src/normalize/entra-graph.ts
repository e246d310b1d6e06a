// Microsoft Graph (Entra ID) users and groups -> canonical records through the "azure graph" preset
// (presets.ts) or a directory's merged mapping. raw_attributes keep the Graph record as received,
// a group's members@delta links excepted. Pure, no I/O.
import type { CanonicalGroupInput, CanonicalUserInput } from "../model/index.js";
import { normalizeGroupRecord, normalizeUserRecord, type UserMapping } from "./mapping.js";
import { ENTRA_GRAPH_USER_MAPPING, PRESETS } from "./presets.js";

export function normalizeEntraUser(id: string, raw: Record<string, unknown>, mapping: UserMapping = ENTRA_GRAPH_USER_MAPPING): CanonicalUserInput {
  return normalizeUserRecord(mapping, raw, id);
}

export function normalizeEntraGroup(id: string, raw: Record<string, unknown>): CanonicalGroupInput {
  return normalizeGroupRecord(PRESETS["azure graph"].group, raw, id);
}
