// The Okta connector's public face.
export { OktaConnector, type OktaConnectorOptions } from "./connector.js";
export { OKTA_SCOPES, OktaCredentials } from "./settings.js";
