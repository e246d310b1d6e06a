// Organizations and directories as the REST API shows them (WorkOS Directory Sync shapes).
import { z } from "zod";

/** One verified or pending e-mail domain of an organization. */
export const OrganizationDomain = z.object({
  object: z.literal("organization_domain"),
  id: z.string(),
  organization_id: z.string(),
  domain: z.string(),
  state: z.enum(["verified", "pending"]),
  verification_strategy: z.enum(["manual", "dns"]),
  created_at: z.string(),
  updated_at: z.string(),
});
export type OrganizationDomain = z.infer<typeof OrganizationDomain>;

/** A customer tenant of the SaaS app; directories belong to exactly one. */
export const Organization = z.object({
  object: z.literal("organization"),
  id: z.string(),
  name: z.string(),
  allow_profiles_outside_organization: z.boolean(),
  domains: z.array(OrganizationDomain),
  external_id: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Organization = z.infer<typeof Organization>;

/** Directory types an IdP pushes to over SCIM 2.0, named as WorkOS names them. */
export const SCIM_DIRECTORY_TYPES = [
  "azure scim v2.0",
  "okta scim v2.0",
  "onelogin scim v2.0",
  "jump cloud scim v2.0",
  "google scim v2.0",
  "rippling scim v2.0",
  "pingfederate scim v2.0",
  "generic scim v2.0",
] as const;

/** Directory types the gateway pulls from a vendor API. */
export const PULL_DIRECTORY_TYPES = ["azure graph", "gsuite directory", "okta api"] as const;

export const DirectoryType = z.enum([...SCIM_DIRECTORY_TYPES, ...PULL_DIRECTORY_TYPES]);
export type DirectoryType = z.infer<typeof DirectoryType>;

export const isScimDirectoryType = (type: DirectoryType): boolean =>
  (SCIM_DIRECTORY_TYPES as readonly string[]).includes(type);

/** Directory states as the WorkOS REST API names them (the SDK maps linked/unlinked to active/inactive). */
export const DirectoryState = z.enum(["linked", "unlinked", "validating", "invalid_credentials", "deleting"]);
export type DirectoryState = z.infer<typeof DirectoryState>;

/** One IdP connection of an organization. */
export const Directory = z.object({
  object: z.literal("directory"),
  id: z.string(),
  organization_id: z.string(),
  external_key: z.string(),
  type: DirectoryType,
  state: DirectoryState,
  name: z.string(),
  domain: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Directory = z.infer<typeof Directory>;
