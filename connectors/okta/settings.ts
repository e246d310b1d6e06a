// What an "okta api" directory needs: the org URL and either an API token (SSWS) or an OAuth 2.0
// service app with a private key. Stored encrypted; never returned or logged.
import { z } from "zod";

const orgUrl = z
  .url({ message: "must be the Okta org URL, e.g. https://acme.okta.com" })
  .refine((u) => /^https?:\/\//.test(u), "must start with https:// (or http:// for a local emulator)")
  // The SDK builds `${orgUrl}/api/v1/...`: a trailing slash would make it request //api/v1.
  .transform((u) => u.replace(/\/+$/, ""));

export const OktaCredentials = z.union([
  z.strictObject({
    org_url: orgUrl,
    api_token: z.string().trim().min(10, "is too short to be an Okta API token").max(200),
  }),
  z.strictObject({
    org_url: orgUrl,
    client_id: z.string().trim().min(1, "is required").max(200),
    private_key: z.string().includes("PRIVATE KEY", { message: "must be a PEM private key" }).max(10_000),
    key_id: z.string().trim().min(1).max(200).optional(),
  }),
]);
export type OktaCredentials = z.infer<typeof OktaCredentials>;

/** The read-only scopes the service app must be granted (okta.logs.read for deletions and memberships). */
export const OKTA_SCOPES = ["okta.users.read", "okta.groups.read", "okta.logs.read"];
