// What a "google admin" directory needs: a service account with domain-wide delegation (its JSON key,
// the admin it acts as, the customer), stored encrypted and never returned or logged; and the
// directory's settings, whose Google defaults an emulator can replace.
import { z } from "zod";

/** The fields of the service account's JSON key the connector uses; the rest of the file is ignored. */
const ServiceAccountKey = z.object({
  client_email: z.email({ message: "must be the service account's e-mail (client_email in the JSON key)" }),
  private_key: z.string().includes("PRIVATE KEY", { message: "must be the PEM private key from the JSON key" }).max(10_000),
  private_key_id: z.string().trim().min(1, "is required (private_key_id in the JSON key)").max(200),
});

export const GoogleCredentials = z.strictObject({
  /** The JSON key as downloaded from the Cloud console: pasted as text or sent as an object. */
  service_account_key: z.preprocess((value) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }, ServiceAccountKey),
  /** The Workspace admin the service account impersonates (the JWT `sub`); reads need an admin. */
  admin_email: z.email({ message: "must be the e-mail of a Workspace admin" }),
  /** `my_customer` (the admin's own account) or a customer id such as C03az79cb. */
  customer_id: z
    .string()
    .trim()
    .regex(/^(my_customer|C[0-9a-z]+)$/i, "must be my_customer or a customer id such as C03az79cb")
    .default("my_customer"),
});
export type GoogleCredentials = z.infer<typeof GoogleCredentials>;

/** google-auth-library posts here, hard-coded (§2.2); the connector redirects it to `token_url`. */
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

const httpUrl = z
  .url({ message: "must be an absolute http(s) URL" })
  .refine((u) => /^https?:\/\//.test(u), "must start with https:// (or http:// for a local emulator)");

/** Connector settings of a Google directory; only an emulator or a proxy changes them. */
export const GoogleSettings = z.object({
  /**
   * Origin the Directory API is called at. googleapis keeps only the origin of its rootUrl (a path
   * prefix is dropped, idp-apis.md §2.2), so one is refused rather than silently ignored.
   */
  api_root: httpUrl
    .refine((u) => new URL(u).pathname === "/", "must be an origin without a path, e.g. https://admin.googleapis.com")
    .transform((u) => `${new URL(u).origin}/`)
    .default("https://admin.googleapis.com/"),
  /** Where the JWT-bearer token exchange is posted. */
  token_url: httpUrl.default(GOOGLE_TOKEN_URL),
});
export type GoogleSettings = z.infer<typeof GoogleSettings>;

/** Read-only scopes domain-wide delegation must grant the service account's client id. */
export const GOOGLE_SCOPES = [
  "https://www.googleapis.com/auth/admin.directory.user.readonly",
  "https://www.googleapis.com/auth/admin.directory.group.readonly",
  "https://www.googleapis.com/auth/admin.directory.group.member.readonly",
];
