// The Entra connector's public face.
export { EntraConnector, GROUP_SELECT, USER_SELECT, toGroupRecords, toUserRecords, type EntraConnectorOptions } from "./connector.js";
export { EntraCredentials, EntraSettings } from "./settings.js";
export { ClientCredentialsTokenProvider } from "./token-provider.js";
