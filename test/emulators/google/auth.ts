// Google's OAuth side for a service account with domain-wide delegation (idp-apis.md §2.1): the
// JWT-bearer token exchange at POST /token, access tokens that expire on the fake clock, and the
// bearer check API routes run. It decides who may call; it never reads directory data itself
// beyond "is this subject an admin" (asked through a callback).
import { createPublicKey, randomBytes, verify, type KeyObject } from "node:crypto";
import { authError } from "./errors.js";

export const SCOPE = {
  user: "https://www.googleapis.com/auth/admin.directory.user",
  userReadonly: "https://www.googleapis.com/auth/admin.directory.user.readonly",
  group: "https://www.googleapis.com/auth/admin.directory.group",
  groupReadonly: "https://www.googleapis.com/auth/admin.directory.group.readonly",
  groupMember: "https://www.googleapis.com/auth/admin.directory.group.member",
  groupMemberReadonly: "https://www.googleapis.com/auth/admin.directory.group.member.readonly",
  orgunitReadonly: "https://www.googleapis.com/auth/admin.directory.orgunit.readonly",
  userschemaReadonly: "https://www.googleapis.com/auth/admin.directory.userschema.readonly",
  reportsAuditReadonly: "https://www.googleapis.com/auth/admin.reports.audit.readonly",
} as const;

/** The scopes domain-wide delegation grants by default: every directory and reports scope above. */
export const DEFAULT_DELEGATED_SCOPES: readonly string[] = Object.values(SCOPE);

export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** A service account the token endpoint accepts. Without `email`, any issuer is accepted. */
export interface ServiceAccountSeed {
  email?: string;
  /** PEM (SPKI or certificate) to verify RS256 assertions with; without it signatures are not checked. */
  publicKeyPem?: string;
  /** Scopes domain-wide delegation grants this account (default: all directory and reports scopes). */
  delegatedScopes?: readonly string[];
}

/** What an access token stands for. */
export interface TokenGrant {
  subject: string;
  scopes: Set<string>;
  expiresAt: number;
}

/** An OAuth token-endpoint failure, rendered as `{ error, error_description }`. */
export class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export class TokenIssuer {
  private readonly tokens = new Map<string, TokenGrant>();
  private readonly key: KeyObject | null;
  private readonly delegated: Set<string>;

  constructor(
    private readonly account: ServiceAccountSeed,
    private readonly now: () => number,
    /** Whether the token endpoint accepts `sub` (the emulator decides: any user, or admins only). */
    private readonly isKnownSubject: (sub: string) => boolean,
    private readonly lifetimeSeconds = 3599,
  ) {
    this.key = account.publicKeyPem ? createPublicKey(account.publicKeyPem) : null;
    this.delegated = new Set(account.delegatedScopes ?? DEFAULT_DELEGATED_SCOPES);
  }

  /** Handles a token request's form fields; returns the token response or throws OAuthError. */
  exchange(form: Record<string, string>): { access_token: string; expires_in: number; token_type: "Bearer" } {
    if (form.grant_type !== JWT_BEARER_GRANT) {
      throw new OAuthError(400, "unsupported_grant_type", `Invalid grant_type: ${form.grant_type ?? ""}`);
    }
    const claims = this.readAssertion(form.assertion ?? "");
    const scopes = String(claims.scope ?? "").split(/\s+/).filter(Boolean);
    if (scopes.length === 0 || scopes.some((s) => !this.delegated.has(s))) {
      throw new OAuthError(
        401,
        "unauthorized_client",
        "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
      );
    }
    const sub = typeof claims.sub === "string" ? claims.sub : "";
    if (!sub || !this.isKnownSubject(sub)) throw new OAuthError(400, "invalid_grant", "Invalid email or User ID");
    return { access_token: this.issue(sub, scopes), expires_in: this.lifetimeSeconds, token_type: "Bearer" };
  }

  /** Mints a token directly (control surface), for tests that inject an OAuth2Client with it. */
  issue(subject: string, scopes: readonly string[], lifetimeSeconds = this.lifetimeSeconds): string {
    const token = `ya29.c.${randomBytes(24).toString("base64url")}`;
    this.tokens.set(token, { subject, scopes: new Set(scopes), expiresAt: this.now() + lifetimeSeconds * 1000 });
    return token;
  }

  /** The bearer check every API route runs: a missing, unknown or expired token is a 401 authError. */
  authenticate(authorization: string | undefined): TokenGrant {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    const grant = m ? this.tokens.get(m[1]!) : undefined;
    if (!grant) throw authError();
    if (grant.expiresAt <= this.now()) {
      this.tokens.delete(m![1]!);
      throw authError();
    }
    return grant;
  }

  private readAssertion(assertion: string): Record<string, unknown> {
    const parts = assertion.split(".");
    if (parts.length !== 3) throw new OAuthError(400, "invalid_grant", "Invalid JWT: Malformed assertion.");
    const [h, p, s] = parts as [string, string, string];
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
      claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
    } catch {
      throw new OAuthError(400, "invalid_grant", "Invalid JWT: Malformed assertion.");
    }
    if (this.account.email && claims.iss !== this.account.email) {
      throw new OAuthError(400, "invalid_grant", "Invalid grant: account not found");
    }
    if (this.key) {
      const ok = header.alg === "RS256" && verify("RSA-SHA256", Buffer.from(`${h}.${p}`), this.key, Buffer.from(s, "base64url"));
      if (!ok) throw new OAuthError(400, "invalid_grant", "Invalid JWT Signature.");
    }
    // The client signs with its wall clock, not the emulator's fake one, so iat/exp are checked
    // against real time. `aud` is deliberately not checked: the SDK keeps Google's token URL there
    // even when the request is redirected to the emulator [idp-apis §0].
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    const wallNow = Date.now() / 1000;
    if (!Number.isFinite(iat) || !Number.isFinite(exp) || exp - iat > 3600 || exp < wallNow - 300 || iat > wallNow + 300) {
      throw new OAuthError(
        400,
        "invalid_grant",
        "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
      );
    }
    return claims;
  }
}
