// Directory users and groups: the canonical records reconcile writes, and the shapes the API shows.
import { z } from "zod";

export const UserState = z.enum(["active", "inactive"]);
export type UserState = z.infer<typeof UserState>;

/** One e-mail address of a user, as SCIM and WorkOS list them. */
export const UserEmail = z.object({
  primary: z.boolean(),
  type: z.string().nullable(),
  value: z.string(),
});
export type UserEmail = z.infer<typeof UserEmail>;

/** The role a directory user holds in the SaaS app, from role mapping. */
export const UserRole = z.object({ slug: z.string().min(1) });
export type UserRole = z.infer<typeof UserRole>;

/** Free-form JSON, as IdPs send it: kept whole in raw_attributes. */
export const JsonObject = z.record(z.string(), z.unknown());
export type JsonObject = Record<string, unknown>;

/**
 * A user as normalize hands it to reconcile: vendor-neutral, keyed by the IdP's own id.
 * Everything reconcile compares lives here; ids and timestamps are reconcile's to assign.
 */
export const CanonicalUser = z.object({
  idp_id: z.string().min(1),
  first_name: z.string().nullable().default(null),
  last_name: z.string().nullable().default(null),
  name: z.string().nullable().default(null),
  email: z.string().nullable().default(null),
  emails: z.array(UserEmail).default([]),
  username: z.string().nullable().default(null),
  job_title: z.string().nullable().default(null),
  state: UserState.default("active"),
  custom_attributes: JsonObject.default({}),
  raw_attributes: JsonObject.default({}),
  role: UserRole.nullable().default(null),
});
export type CanonicalUser = z.infer<typeof CanonicalUser>;
export type CanonicalUserInput = z.input<typeof CanonicalUser>;

/** A group as normalize hands it to reconcile. */
export const CanonicalGroup = z.object({
  idp_id: z.string().min(1),
  name: z.string(),
  raw_attributes: JsonObject.default({}),
});
export type CanonicalGroup = z.infer<typeof CanonicalGroup>;
export type CanonicalGroupInput = z.input<typeof CanonicalGroup>;

/** A directory group as the API and events show it. */
export const DirectoryGroup = CanonicalGroup.extend({
  object: z.literal("directory_group"),
  id: z.string(),
  directory_id: z.string(),
  organization_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type DirectoryGroup = z.infer<typeof DirectoryGroup>;

/** A directory user as the API and events show it; `groups` is always present. */
export const DirectoryUser = CanonicalUser.extend({
  object: z.literal("directory_user"),
  id: z.string(),
  directory_id: z.string(),
  organization_id: z.string(),
  groups: z.array(DirectoryGroup),
  created_at: z.string(),
  updated_at: z.string(),
});
export type DirectoryUser = z.infer<typeof DirectoryUser>;

/** The canonical fields reconcile compares to decide whether a user changed. */
export const USER_COMPARED_FIELDS = [
  "first_name",
  "last_name",
  "name",
  "email",
  "emails",
  "username",
  "job_title",
  "state",
  "custom_attributes",
  "raw_attributes",
  "role",
] as const satisfies readonly (keyof CanonicalUser)[];

export const GROUP_COMPARED_FIELDS = ["name", "raw_attributes"] as const satisfies readonly (keyof CanonicalGroup)[];
