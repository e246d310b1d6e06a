// The one attribute-mapping type and the engine that applies it. A provider preset (presets.ts) and
// a directory's own overrides are values of these types; the engine turns any SCIM resource or
// vendor record into a canonical user with them. Schemas (zod) validate overrides at the API edge and
// presets in tests. Pure, no I/O.
import { z } from "zod";
import type { CanonicalGroupInput, CanonicalUserInput, UserEmail } from "../model/index.js";
import { parseSourcePath, readSourcePath } from "./path.js";

const sourcePath = z.string().superRefine((path, ctx) => {
  const parsed = parseSourcePath(path);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: `invalid path: ${parsed.error}` });
});

/** A value transform, applied in order to what a source path yields. */
export const Transform = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("trim") }),
  z.strictObject({ type: z.literal("lowercase") }),
  z.strictObject({ type: z.literal("uppercase") }),
  /** Splits text on `separator`; `index` keeps one part (negative counts from the end), else all parts. */
  z.strictObject({ type: z.literal("split"), separator: z.string().min(1).max(16), index: z.number().int().min(-16).max(16).optional() }),
  /** Keeps the value only when it is a well-formed e-mail address (a fallback such as userName counts only then). */
  z.strictObject({ type: z.literal("email") }),
]);
export type Transform = z.infer<typeof Transform>;

/** One place a value may come from. */
export const Source = z.strictObject({ path: sourcePath, transforms: z.array(Transform).max(10).optional() });
export type Source = z.infer<typeof Source>;

/**
 * How a value is read: `string` (text; numbers become text; a list gives its first usable entry),
 * `boolean` (true/false and "True"/"False"), `reference` (an id given bare or as `{ value }`, as SCIM's
 * manager is), `json` (the value as it is, lists and objects included).
 */
export const ValueKind = z.enum(["string", "boolean", "reference", "json"]);
export type ValueKind = z.infer<typeof ValueKind>;

/** One canonical field or custom attribute: the first source yielding a usable value wins. */
export const FieldMapping = z.strictObject({
  sources: z.array(Source).min(1).max(10),
  kind: ValueKind.optional(),
  /** Used when no source yields a value. */
  default: z.union([z.string().max(1000), z.number(), z.boolean()]).optional(),
  /** Listed in the data-quality report when no value can be mapped (the record is still stored). */
  required: z.boolean().optional(),
});
export type FieldMapping = z.infer<typeof FieldMapping>;

const stateValue = z.union([z.string().max(200), z.boolean()]);

/**
 * Where state comes from: a user is inactive when any source holds one of `inactive_values`, or, when
 * `active_values` is given, a present value outside it. Strings compare case-insensitively, and the
 * strings "true"/"false" equal the booleans (Entra sends active as "False"). No value means active.
 */
export const StateMapping = z.strictObject({
  sources: z.array(z.strictObject({ path: sourcePath })).min(1).max(10),
  inactive_values: z.array(stateValue).max(50).optional(),
  active_values: z.array(stateValue).max(50).optional(),
});
export type StateMapping = z.infer<typeof StateMapping>;

/** A place holding e-mail addresses: a text, a list of texts, or a list of objects such as SCIM's emails. */
export const EmailSource = z.strictObject({
  path: sourcePath,
  /** Keys of an object entry holding the address, type and primary flag, tried in order. */
  value_keys: z.array(z.string().min(1).max(64)).max(5).optional(),
  type_keys: z.array(z.string().min(1).max(64)).max(5).optional(),
  /** The type of entries that carry none. */
  type: z.string().max(64).optional(),
});
export type EmailSource = z.infer<typeof EmailSource>;

/**
 * emails[]: with `from_email`, the canonical email first (primary, of that type) and every other
 * address from `sources` after it; without, the entries of `sources` as the IdP flagged them, primary
 * first. Duplicates (any case) are dropped.
 */
export const EmailsMapping = z.strictObject({
  from_email: z.strictObject({ type: z.string().max(64) }).optional(),
  sources: z.array(EmailSource).max(10),
});
export type EmailsMapping = z.infer<typeof EmailsMapping>;

/** Canonical text fields a mapping can fill. */
export const MAPPED_FIELDS = ["first_name", "last_name", "name", "email", "username", "job_title"] as const;
export type MappedField = (typeof MAPPED_FIELDS)[number];

const fieldsShape = Object.fromEntries(MAPPED_FIELDS.map((f) => [f, FieldMapping.optional()])) as Record<MappedField, z.ZodOptional<typeof FieldMapping>>;

/** custom_attributes keys: snake_case, as the presets name them. */
export const CustomAttributeName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be snake_case: a-z, 0-9 and _, at most 64 characters");

/** How a user record becomes a canonical user: a provider preset, or a preset with overrides merged. */
export const UserMapping = z.strictObject({
  fields: z.strictObject(fieldsShape),
  state: StateMapping,
  emails: EmailsMapping,
  custom_attributes: z.record(CustomAttributeName, FieldMapping),
  /**
   * Top-level keys left out of raw_attributes: vendor bookkeeping that changes without any change to
   * the person (a last sign-in time), which would otherwise make every full scan emit dsync.user.updated.
   */
  omit_raw: z.array(z.string()).optional(),
});
export type UserMapping = z.infer<typeof UserMapping>;

/** How a group record becomes a canonical group; the IdP's id names a group without a name. */
export const GroupMapping = z.strictObject({
  name: FieldMapping,
  /** Top-level keys left out of raw_attributes: membership links and counters, which membership events carry. */
  omit_raw: z.array(z.string()).optional(),
});
export type GroupMapping = z.infer<typeof GroupMapping>;

/** A provider type's built-in mapping. */
export interface Preset {
  /** Shown in the API and README: which vendor and record shape the preset reads. */
  label: string;
  user: UserMapping;
  group: GroupMapping;
}

/** A directory's own changes on top of its preset (stored per directory, set through the REST API). */
export const MappingOverride = z.strictObject({
  fields: z.strictObject(fieldsShape).optional(),
  state: StateMapping.optional(),
  emails: EmailsMapping.optional(),
  /** null removes an attribute the preset maps. */
  custom_attributes: z
    .record(CustomAttributeName, FieldMapping.nullable())
    .refine((r) => Object.keys(r).length <= 100, "at most 100 custom attributes")
    .optional(),
});
export type MappingOverride = z.infer<typeof MappingOverride>;

/** The preset with a directory's overrides merged on top: each field given replaces the preset's whole. */
export function mergeMapping(preset: UserMapping, override: MappingOverride | null | undefined): UserMapping {
  if (!override) return preset;
  const custom = { ...preset.custom_attributes };
  for (const [key, mapping] of Object.entries(override.custom_attributes ?? {})) {
    if (mapping === null) delete custom[key];
    else custom[key] = mapping;
  }
  return {
    fields: { ...preset.fields, ...override.fields },
    state: override.state ?? preset.state,
    emails: override.emails ?? preset.emails,
    custom_attributes: custom,
    ...(preset.omit_raw ? { omit_raw: preset.omit_raw } : {}),
  };
}

// ---------------------------------------------------------------- the engine

type Json = Record<string, unknown>;

/** Maps a user record (SCIM resource or vendor record, kept whole as raw_attributes) onto a canonical user. */
export function normalizeUserRecord(mapping: UserMapping, raw: Json, idpId: string): CanonicalUserInput {
  const text = (field: MappedField) => {
    const value = mapping.fields[field] ? readField(raw, mapping.fields[field]!) : null;
    // Canonical fields are text: a json or boolean kind mapped onto one yields no value.
    return typeof value === "string" ? value : null;
  };
  const email = text("email");
  const custom: Json = {};
  for (const [key, field] of Object.entries(mapping.custom_attributes)) {
    const value = readField(raw, field, true);
    if (value !== null) custom[key] = value;
  }
  return {
    idp_id: idpId,
    first_name: text("first_name"),
    last_name: text("last_name"),
    name: text("name"),
    email,
    emails: readEmails(raw, mapping.emails, email),
    username: text("username"),
    job_title: text("job_title"),
    state: readState(raw, mapping.state),
    custom_attributes: custom,
    raw_attributes: withoutKeys(raw, mapping.omit_raw),
  };
}

/** Maps a group record; a group without a mapped name is named by the IdP's id. */
export function normalizeGroupRecord(mapping: GroupMapping, raw: Json, idpId: string): CanonicalGroupInput {
  const name = readField(raw, mapping.name);
  return { idp_id: idpId, name: typeof name === "string" && name !== "" ? name : idpId, raw_attributes: withoutKeys(raw, mapping.omit_raw) };
}

function withoutKeys(raw: Json, keys: readonly string[] | undefined): Json {
  if (!keys?.length) return raw;
  const out = { ...raw };
  for (const key of keys) delete out[key];
  return out;
}

/**
 * The value a field mapping yields for a record, or null. With `lists` (custom attributes), a list
 * value such as a split's parts stays a list of texts; a canonical text field takes its first entry.
 */
export function readField(raw: unknown, field: FieldMapping, lists = false): unknown {
  const kind = field.kind ?? "string";
  for (const source of field.sources) {
    for (const found of readSourcePath(raw, source.path)) {
      const transformed = applyTransforms(found, source.transforms);
      const value = lists && kind === "string" && Array.isArray(transformed) ? textList(transformed) : asKind(transformed, kind);
      if (value !== null) return value;
    }
  }
  return field.default === undefined ? null : asKind(field.default, kind);
}

/** The raw values the sources of a field point at, for the data-quality report. */
export function rawValuesOf(raw: unknown, field: FieldMapping): unknown {
  const values = field.sources.flatMap((s) => readSourcePath(raw, s.path));
  return values.length === 0 ? null : values.length === 1 ? values[0] : values;
}

export function applyTransforms(value: unknown, transforms: readonly Transform[] | undefined): unknown {
  let current = value;
  for (const transform of transforms ?? []) {
    if (current === null || current === undefined) return null;
    current = Array.isArray(current) ? current.map((v) => transformOne(v, transform)).filter((v) => v !== null) : transformOne(current, transform);
  }
  return current;
}

function transformOne(value: unknown, transform: Transform): unknown {
  const text = typeof value === "string" ? value : typeof value === "number" ? String(value) : null;
  if (text === null) return transform.type === "email" ? null : value;
  switch (transform.type) {
    case "trim":
      return text.trim();
    case "lowercase":
      return text.toLowerCase();
    case "uppercase":
      return text.toUpperCase();
    case "email":
      return isWellFormedEmail(text) ? text : null;
    case "split": {
      const parts = text.split(transform.separator).map((p) => p.trim()).filter((p) => p !== "");
      if (transform.index === undefined) return parts;
      return parts.at(transform.index) ?? null;
    }
  }
}

/** local@domain.tld with no spaces: the same rule the data-quality report applies in SQL. */
export const EMAIL_PATTERN = "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$";
const EMAIL = new RegExp(EMAIL_PATTERN);
export const isWellFormedEmail = (value: string): boolean => EMAIL.test(value);

function asKind(value: unknown, kind: ValueKind): unknown {
  switch (kind) {
    case "json":
      return value === undefined || value === "" ? null : value;
    case "boolean":
      return booleanOf(value);
    case "reference": {
      const id = isObject(value) ? Object.entries(value).find(([k]) => k.toLowerCase() === "value")?.[1] : value;
      return asKind(id, "string");
    }
    case "string": {
      if (Array.isArray(value)) {
        for (const item of value) {
          const text = asKind(item, "string");
          if (text !== null) return text;
        }
        return null;
      }
      if (typeof value === "string") return value.trim() === "" ? null : value;
      if (typeof value === "number" || typeof value === "bigint") return String(value);
      return null;
    }
  }
}

function textList(values: unknown[]): string[] | null {
  const texts = values.map((v) => asKind(v, "string")).filter((v): v is string => v !== null);
  return texts.length > 0 ? texts : null;
}

/** true / false, or the strings "true" / "false" in any case; null for anything else. */
export function booleanOf(value: unknown): boolean | null {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const lower = value.trim().toLowerCase();
    if (lower === "true") return true;
    if (lower === "false") return false;
  }
  return null;
}

function readState(raw: unknown, state: StateMapping): "active" | "inactive" {
  const inactive = (state.inactive_values ?? []).map(comparable);
  const active = state.active_values?.map(comparable) ?? null;
  for (const source of state.sources) {
    for (const value of readSourcePath(raw, source.path)) {
      const v = comparable(value);
      if (v === null) continue;
      if (inactive.includes(v)) return "inactive";
      if (active && !active.includes(v)) return "inactive";
    }
  }
  return "active";
}

/** Booleans and string booleans as booleans, other text lower-cased; null for no usable value. */
function comparable(value: unknown): string | boolean | null {
  const bool = booleanOf(value);
  if (bool !== null) return bool;
  if (typeof value === "string") return value.trim() === "" ? null : value.trim().toLowerCase();
  if (typeof value === "number") return String(value);
  return null;
}

function readEmails(raw: unknown, mapping: EmailsMapping, email: string | null): UserEmail[] {
  const out: UserEmail[] = [];
  const seen = new Set<string>();
  const add = (entry: UserEmail) => {
    const key = entry.value.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    out.push(entry);
  };
  if (mapping.from_email && email) add({ primary: true, type: mapping.from_email.type, value: email });
  for (const source of mapping.sources) {
    for (const found of readSourcePath(raw, source.path)) {
      for (const item of Array.isArray(found) ? found : [found]) {
        const entry = emailEntry(item, source);
        // With from_email the canonical address is the one primary.
        if (entry) add(mapping.from_email ? { ...entry, primary: false } : entry);
      }
    }
  }
  // Stable sort: the primary address first, the rest in the IdP's order.
  return mapping.from_email ? out : out.sort((a, b) => Number(b.primary) - Number(a.primary));
}

function emailEntry(item: unknown, source: EmailSource): UserEmail | null {
  if (typeof item === "string") return item.trim() === "" ? null : { primary: false, type: source.type ?? null, value: item.trim() };
  if (!isObject(item)) return null;
  const pick = (keys: string[]) => {
    for (const key of keys) {
      const value = Object.entries(item).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
      if (typeof value === "string" && value.trim() !== "") return value.trim();
    }
    return null;
  };
  const value = pick(source.value_keys ?? ["value"]);
  if (!value) return null;
  return { primary: booleanOf(item.primary ?? item.Primary) === true, type: pick(source.type_keys ?? ["type"]) ?? source.type ?? null, value };
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
