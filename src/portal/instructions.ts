// Step-by-step instructions, written for each IdP's own admin console, for connecting it over SCIM.
// Plain data: the setup page renders them around the SCIM URL and token it shows.
import type { DirectoryType } from "../model/index.js";

/** How one IdP names the two values the admin pastes, and the steps around them. */
export interface ScimInstructions {
  idp: string;
  /** The IdP's label for the SCIM base URL field. */
  urlField: string;
  /** The IdP's label for the bearer token field. */
  tokenField: string;
  steps: string[];
  note?: string;
}

export const SCIM_INSTRUCTIONS: Partial<Record<DirectoryType, ScimInstructions>> = {
  "azure scim v2.0": {
    idp: "Microsoft Entra ID",
    urlField: "Tenant URL",
    tokenField: "Secret Token",
    steps: [
      "Sign in to the Microsoft Entra admin center and open Enterprise applications, then New application.",
      "Choose Create your own application, name it, and pick “Integrate any other application you don’t find in the gallery (Non-gallery)”.",
      "In the new application, open Provisioning, select Get started (or New configuration) and set Provisioning Mode to Automatic.",
      "Under Admin Credentials, paste the Tenant URL and the Secret Token above, then select Test Connection and Save.",
      "Under Users and groups, assign the people and groups who should have access.",
      "Back in Provisioning, set Provisioning Status to On and save. Entra sends the first users within a few minutes, then syncs about every 40 minutes.",
    ],
  },
  "okta scim v2.0": {
    idp: "Okta",
    urlField: "SCIM connector base URL",
    tokenField: "API Token (Authorization header, HTTP Header auth)",
    steps: [
      "In the Okta Admin Console, go to Applications › Applications and select Browse App Catalog.",
      "Add “SCIM 2.0 Test App (Header Auth)” and finish the General Settings with a name your admins will recognise.",
      "Open the Provisioning tab, select Configure API Integration and tick Enable API integration.",
      "Paste the Base URL and the API Token above, select Test API Credentials, then Save.",
      "Under Provisioning › To App, select Edit and enable Create Users, Update User Attributes and Deactivate Users.",
      "Assign people and groups on the Assignments tab, and add the groups whose membership should sync under Push Groups.",
    ],
  },
  "onelogin scim v2.0": {
    idp: "OneLogin",
    urlField: "SCIM Base URL",
    tokenField: "SCIM Bearer Token",
    steps: [
      "In OneLogin, go to Applications › Add App and add “SCIM Provisioner with SAML (SCIM v2 Enterprise)”.",
      "On the Configuration tab, paste the SCIM Base URL and SCIM Bearer Token above, save, and select Enable under API Status.",
      "On the Provisioning tab, tick Enable provisioning and choose what happens when a user is deleted or suspended (Delete or Suspend).",
      "On the Parameters tab, add Groups to the rules so group memberships are sent.",
      "Assign the app to users or roles. OneLogin provisions them right away.",
    ],
  },
  "jump cloud scim v2.0": {
    idp: "JumpCloud",
    urlField: "Base URL",
    tokenField: "Token Key",
    steps: [
      "In the JumpCloud Admin Portal, go to SSO Applications and select Add New Application, then Custom Application.",
      "Select “Export users to this app (Identity Management)” and finish creating the application.",
      "On the Identity Management tab, choose SCIM 2.0, paste the Base URL and Token Key above, and select Test Connection, then Activate.",
      "Turn on Group Management if group memberships should sync.",
      "On the User Groups tab, bind the groups whose members should have access, then Save.",
    ],
  },
  "google scim v2.0": {
    idp: "Google Workspace",
    urlField: "SCIM endpoint URL",
    tokenField: "Access token",
    steps: [
      "In the Google Admin console, go to Apps › Web and mobile apps and open this app.",
      "Open Auto-provisioning and select Configure auto-provisioning.",
      "Paste the access token and the endpoint URL above when asked, keep the default attribute mapping, and choose the groups in scope.",
      "Turn auto-provisioning on. Google sends the first users within an hour.",
    ],
    note: "Google offers auto-provisioning only for apps in its catalog. If this app is not there, go back and choose “Google Workspace (read with the Admin SDK)” instead.",
  },
  "rippling scim v2.0": {
    idp: "Rippling",
    urlField: "SCIM base URL",
    tokenField: "Bearer token",
    steps: [
      "In Rippling, open App Shop and find this app (or a custom SCIM app).",
      "In the app's settings, choose SCIM provisioning and paste the SCIM base URL and bearer token above.",
      "Choose which employees and groups get access, then save. Rippling provisions them right away.",
    ],
  },
  "pingfederate scim v2.0": {
    idp: "PingFederate",
    urlField: "SCIM URL",
    tokenField: "OAuth 2 Bearer Token",
    steps: [
      "In PingFederate, create an SP connection with outbound provisioning and choose the SCIM connector.",
      "Under Provisioning › Target, paste the SCIM URL, choose SCIM version 2.0 and the OAuth 2 Bearer Token authentication, and paste the token above.",
      "Map users and groups from your data store, then activate the channel.",
    ],
  },
  "generic scim v2.0": {
    idp: "your identity provider",
    urlField: "SCIM base URL",
    tokenField: "Bearer token",
    steps: [
      "In your identity provider, create a SCIM 2.0 provisioning connection (sometimes called an outbound or app provisioning integration).",
      "Paste the SCIM base URL above and choose bearer-token authentication with the token above (sent as Authorization: Bearer <token>).",
      "Enable creating, updating and deactivating users, and pushing groups if your provider supports it.",
      "Assign the people and groups who should have access.",
    ],
  },
};
