// The identity providers an IT admin can pick in the portal, in the order they are offered.
import type { DirectoryType } from "../model/index.js";

/** One choice on the "connect a directory" page. */
export interface IdpChoice {
  type: DirectoryType;
  label: string;
  /** How data arrives: the IdP pushes over SCIM, or the gateway pulls from the vendor's API. */
  mode: "scim" | "pull";
  hint: string;
}

export const IDP_CHOICES: IdpChoice[] = [
  { type: "azure scim v2.0", label: "Microsoft Entra ID (SCIM)", mode: "scim", hint: "Entra pushes changes to us through an enterprise application." },
  { type: "okta scim v2.0", label: "Okta (SCIM)", mode: "scim", hint: "Okta pushes changes to us through a SCIM app integration." },
  { type: "google scim v2.0", label: "Google Workspace (SCIM)", mode: "scim", hint: "Google pushes users to us through auto-provisioning." },
  { type: "onelogin scim v2.0", label: "OneLogin (SCIM)", mode: "scim", hint: "OneLogin pushes changes to us through a SCIM provisioner app." },
  { type: "jump cloud scim v2.0", label: "JumpCloud (SCIM)", mode: "scim", hint: "JumpCloud pushes changes to us through an identity-management connector." },
  { type: "rippling scim v2.0", label: "Rippling (SCIM)", mode: "scim", hint: "Rippling pushes changes to us through its SCIM app." },
  { type: "pingfederate scim v2.0", label: "PingFederate (SCIM)", mode: "scim", hint: "PingFederate pushes changes through its SCIM connector." },
  { type: "generic scim v2.0", label: "Other SCIM 2.0 provider", mode: "scim", hint: "Any identity provider that speaks SCIM 2.0." },
  { type: "azure graph", label: "Microsoft Entra ID (read with Microsoft Graph)", mode: "pull", hint: "We read your directory with an app registration you create." },
  { type: "gsuite directory", label: "Google Workspace (read with the Admin SDK)", mode: "pull", hint: "We read your directory with a service account you authorize." },
  { type: "okta api", label: "Okta (read with the Management API)", mode: "pull", hint: "We read your directory with an API token or service app." },
];

export const idpChoice = (type: string): IdpChoice | undefined => IDP_CHOICES.find((c) => c.type === type);
