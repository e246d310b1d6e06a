// The credentials form of each pull directory type: its fields (named as the vendor's console names
// them), the exact permissions the admin must grant, and the steps to get there. Plain data: the
// form page renders it, and readCredentialsForm turns a submitted form back into the REST shapes.
import { GOOGLE_SCOPES } from "../../connectors/google/settings.js";
import { OKTA_SCOPES } from "../../connectors/okta/settings.js";

/** One input of a credentials form. `key` is the field in `credentials` or `settings`. */
export interface PullField {
  key: string;
  in: "credentials" | "settings";
  label: string;
  help?: string;
  kind: "text" | "secret" | "textarea" | "url" | "email";
  /** Advanced fields (national clouds, emulators, proxies) sit in a collapsed section. */
  advanced?: boolean;
  optional?: boolean;
  placeholder?: string;
  /** For types with several ways to authenticate: the method this field belongs to. */
  method?: string;
}

export interface PullInstructions {
  idp: string;
  /** The permissions to grant, named exactly as the vendor's console lists them. */
  permissions: { intro: string; items: string[] };
  steps: string[];
  fields: PullField[];
  /** Alternative ways to authenticate, when the vendor has several (the first is the default). */
  methods?: { value: string; label: string }[];
}

export const PULL_INSTRUCTIONS: Record<string, PullInstructions> = {
  "azure graph": {
    idp: "Microsoft Entra ID",
    permissions: {
      intro: "Microsoft Graph application permissions (not delegated), with admin consent granted:",
      items: ["User.Read.All", "GroupMember.Read.All (or Group.Read.All)"],
    },
    steps: [
      "Sign in to the Microsoft Entra admin center and open Identity › Applications › App registrations, then New registration.",
      "Name it (for example “Directory sync”), keep “Accounts in this organizational directory only” and select Register.",
      "On the app's Overview, copy the Directory (tenant) ID and the Application (client) ID into the form below.",
      "Open Certificates & secrets › Client secrets › New client secret, and copy its Value (not the Secret ID) into the form.",
      "Open API permissions › Add a permission › Microsoft Graph › Application permissions, and add the permissions listed above.",
      "Select “Grant admin consent for <your organization>” and check that each permission shows Granted.",
    ],
    fields: [
      { key: "tenant_id", in: "credentials", label: "Directory (tenant) ID", kind: "text", placeholder: "00000000-0000-0000-0000-000000000000 or contoso.onmicrosoft.com" },
      { key: "client_id", in: "credentials", label: "Application (client) ID", kind: "text", placeholder: "00000000-0000-0000-0000-000000000000" },
      { key: "client_secret", in: "credentials", label: "Client secret value", kind: "secret" },
      {
        key: "graph_endpoint",
        in: "settings",
        label: "Microsoft Graph endpoint",
        kind: "url",
        advanced: true,
        optional: true,
        placeholder: "https://graph.microsoft.com",
        help: "Only for national clouds, e.g. https://graph.microsoft.us for US Government.",
      },
      {
        key: "login_authority",
        in: "settings",
        label: "Login authority",
        kind: "url",
        advanced: true,
        optional: true,
        placeholder: "https://login.microsoftonline.com",
        help: "Only for national clouds, e.g. https://login.microsoftonline.us.",
      },
    ],
  },
  "gsuite directory": {
    idp: "Google Workspace",
    permissions: {
      intro: "Domain-wide delegation for the service account's client ID, with exactly these OAuth scopes:",
      items: GOOGLE_SCOPES,
    },
    steps: [
      "In the Google Cloud console, pick or create a project and enable the Admin SDK API (APIs & Services › Library).",
      "Open IAM & Admin › Service accounts, create a service account, then Keys › Add key › Create new key › JSON. Keep the downloaded file.",
      "Copy the service account's Client ID (on its Details page, also called Unique ID).",
      "In the Google Admin console, open Security › Access and data control › API controls › Manage Domain Wide Delegation, select Add new, paste the Client ID and the scopes listed above (comma-separated), then Authorize.",
      "Paste the whole JSON key file below, and the e-mail of a Workspace admin the service account may act as (an admin role that can read users and groups is enough).",
    ],
    fields: [
      { key: "service_account_key", in: "credentials", label: "Service account JSON key", kind: "textarea", help: "Open the downloaded .json file and paste all of it." },
      { key: "admin_email", in: "credentials", label: "Admin e-mail", kind: "email", placeholder: "admin@example.com" },
      {
        key: "customer_id",
        in: "credentials",
        label: "Customer ID",
        kind: "text",
        optional: true,
        placeholder: "my_customer",
        help: "Leave empty for the admin's own account, or give an ID such as C03az79cb (Admin console › Account › Account settings).",
      },
      { key: "api_root", in: "settings", label: "Directory API root", kind: "url", advanced: true, optional: true, placeholder: "https://admin.googleapis.com/" },
      { key: "token_url", in: "settings", label: "Token URL", kind: "url", advanced: true, optional: true, placeholder: "https://oauth2.googleapis.com/token" },
    ],
  },
  "okta api": {
    idp: "Okta",
    permissions: {
      intro: "Read-only access. An API token acts with the permissions of the admin who creates it (the Read-Only Administrator role is enough). A service app needs these Okta API scopes granted, and the Read-Only Administrator role:",
      items: OKTA_SCOPES,
    },
    methods: [
      { value: "api_token", label: "API token" },
      { value: "service_app", label: "OAuth 2.0 service app (private key)" },
    ],
    steps: [
      "API token: sign in to the Okta Admin Console as a Read-Only Administrator, open Security › API › Tokens, select Create token, and copy its value.",
      "Or a service app: open Applications › Applications › Create App Integration › API Services. Under Client Credentials choose Public key / Private key and add a key; keep the private key (PEM).",
      "For a service app, grant the scopes listed above on its Okta API Scopes tab, and assign the Read-Only Administrator role on its Admin roles tab.",
      "Enter your Okta org URL (such as https://acme.okta.com, without -admin) and the token or the service app's client ID and private key below.",
    ],
    fields: [
      { key: "org_url", in: "credentials", label: "Okta org URL", kind: "url", placeholder: "https://acme.okta.com" },
      { key: "api_token", in: "credentials", label: "API token", kind: "secret", method: "api_token" },
      { key: "client_id", in: "credentials", label: "Client ID", kind: "text", method: "service_app" },
      { key: "private_key", in: "credentials", label: "Private key (PEM)", kind: "textarea", method: "service_app", placeholder: "-----BEGIN PRIVATE KEY-----" },
      { key: "key_id", in: "credentials", label: "Key ID (kid)", kind: "text", method: "service_app", optional: true },
    ],
  },
};

/** Field values as the form sends them back: `credentials.<key>` and `settings.<key>`. */
export const fieldName = (field: PullField) => `${field.in}.${field.key}`;

/**
 * Turns a submitted form into the REST API's `credentials` and `settings` objects: empty inputs are
 * left out (so defaults apply), and only the chosen method's fields are kept.
 */
export function readCredentialsForm(guide: PullInstructions, form: Record<string, unknown>): { credentials: Record<string, string>; settings: Record<string, string>; method: string | undefined } {
  const method = guide.methods ? (guide.methods.find((m) => m.value === form.method)?.value ?? guide.methods[0]!.value) : undefined;
  const credentials: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const field of guide.fields) {
    if (field.method && field.method !== method) continue;
    const value = form[fieldName(field)];
    if (typeof value !== "string" || value.trim() === "") continue;
    (field.in === "credentials" ? credentials : settings)[field.key] = field.kind === "secret" || field.kind === "textarea" ? value : value.trim();
  }
  return { credentials, settings, method };
}
