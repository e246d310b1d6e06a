// OAuth2 client-credentials tokens for Graph from the directory's login authority. A small fetcher
// rather than @azure/identity: MSAL refuses non-https authorities and performs instance discovery,
// which rules out emulators and adds a network round trip; this is all the grant needs.
import type { AuthenticationProvider } from "@microsoft/microsoft-graph-client";
import { CredentialsError } from "../types.js";
import type { EntraCredentials } from "./settings.js";

/** Refresh this long before the token's stated expiry, so a request never carries a dying token. */
const EXPIRY_MARGIN_MS = 300_000;

export interface TokenProviderOptions {
  credentials: EntraCredentials;
  authority: string;
  /** The resource the token is for: `${graph_endpoint}/.default`. */
  scope: string;
  fetch?: typeof fetch;
  now?: () => number;
}

export class ClientCredentialsTokenProvider implements AuthenticationProvider {
  private cached: { token: string; refreshAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(private readonly options: TokenProviderOptions) {}

  async getAccessToken(): Promise<string> {
    const now = (this.options.now ?? Date.now)();
    if (this.cached && now < this.cached.refreshAt) return this.cached.token;
    // One request for everyone waiting: a page burst must not fetch N tokens.
    this.pending ??= this.requestToken().finally(() => (this.pending = null));
    return this.pending;
  }

  /** Drops the cached token (after a 401), so the next call fetches a new one. */
  invalidate(): void {
    this.cached = null;
  }

  private async requestToken(): Promise<string> {
    const { credentials, authority, scope } = this.options;
    const url = `${authority}/${encodeURIComponent(credentials.tenant_id)}/oauth2/v2.0/token`;
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: credentials.client_id,
      client_secret: credentials.client_secret,
      scope,
    });
    let res: Response;
    try {
      res = await (this.options.fetch ?? fetch)(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    } catch (error) {
      throw new CredentialsError(`could not reach the login authority ${authority}: ${(error as Error).message}`);
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Reported below with the status.
    }
    if (!res.ok || typeof json.access_token !== "string") {
      // AADSTS descriptions carry trace and correlation ids on later lines: the first line is the reason.
      const description = typeof json.error_description === "string" ? json.error_description.split(/\r?\n/)[0] : `HTTP ${res.status}`;
      throw new CredentialsError(`token request refused (${String(json.error ?? res.status)}): ${description}`);
    }
    const expiresIn = Number(json.expires_in ?? 3599) * 1000;
    const now = (this.options.now ?? Date.now)();
    this.cached = { token: json.access_token, refreshAt: now + Math.max(expiresIn - EXPIRY_MARGIN_MS, expiresIn / 2) };
    return json.access_token;
  }
}
