// The Google Workspace connector's public face.
export { GROUPS_PAGE, GoogleConnector, MEMBERS_PAGE, USERS_PAGE, credentialsError, type GoogleConnectorOptions } from "./connector.js";
export { GOOGLE_SCOPES, GOOGLE_TOKEN_URL, GoogleCredentials, GoogleSettings } from "./settings.js";
