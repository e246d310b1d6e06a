// What an "azure graph" directory needs: its credentials (stored encrypted) and its settings, with
// the public cloud as default. National clouds and the emulator are other values of the same settings.
import { z } from "zod";

/** The app registration's client-credentials secret, as the operator gives it. */
export const EntraCredentials = z.strictObject({
  tenant_id: z.string().trim().min(1, "is required").max(200),
  client_id: z.string().trim().min(1, "is required").max(200),
  client_secret: z.string().min(1, "is required").max(1000),
});
export type EntraCredentials = z.infer<typeof EntraCredentials>;

const origin = z
  .url({ message: "must be an absolute http(s) URL" })
  .refine((u) => /^https?:\/\//.test(u), "must start with https:// (or http:// for a local emulator)")
  .transform((u) => u.replace(/\/+$/, ""));

/** Connector settings of an Entra directory (the scheduler's own settings live beside them). */
export const EntraSettings = z.object({
  /** Graph host, e.g. https://graph.microsoft.us for US Government, or an emulator's URL. */
  graph_endpoint: origin.default("https://graph.microsoft.com"),
  /** Login authority host, e.g. https://login.microsoftonline.us. */
  login_authority: origin.default("https://login.microsoftonline.com"),
  /** Extra user properties to $select and keep in raw_attributes (e.g. extension_<appid>_costCenter). */
  extra_user_properties: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a Graph property name")).max(50).default([]),
});
export type EntraSettings = z.infer<typeof EntraSettings>;
