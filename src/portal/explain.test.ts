import { describe, expect, it } from "vitest";
import { explainSyncFailure } from "./explain.js";

// Messages as the connectors and the scheduler word them (connectors/*, src/sync/scheduler.ts).
describe("explainSyncFailure", () => {
  it.each([
    ["token request refused (invalid_client): AADSTS7000215: Invalid client secret provided.", /refused the client ID or secret/],
    ["token request refused (invalid_client): AADSTS7000222: The provided client secret keys for app are expired.", /client secret has expired/],
    ["Graph refused the request (Authorization_RequestDenied): Insufficient privileges to complete the operation.", /permission is missing or admin consent/],
    ["Google refused the token (unauthorized_client): domain-wide delegation is not granted", /domain-wide delegation is not granted/],
    ["Google refused the token (invalid_grant: Invalid email or User ID): check that admin_email…", /admin e-mail belongs to an existing user/],
    ["Okta refused the service app (invalid_scope): The following scopes are not allowed: okta.logs.read", /refused a permission/],
    ["Okta refused the credentials (401): Invalid token provided", /refused to share the directory|permission/],
    ["could not reach the login authority http://127.0.0.1:9: fetch failed", /could not reach/],
    ["the directory has no pull credentials", /no credentials/],
    ["the sync lease expired and was taken over", /Another server/],
    ["something nobody foresaw", /detail below/],
  ])("%s", (message, expected) => {
    expect(explainSyncFailure(message, "Microsoft Entra ID")).toMatch(expected);
  });
});
