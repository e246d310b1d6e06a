// The Google Workspace pull connector, on googleapis (Admin SDK Directory API, directory_v1) with a
// service account acting for an admin through domain-wide delegation. Google has no delta API
// (idp-apis.md §2.5), so there is no changes(): every run is a full snapshot, and the reconcile diff
// turns unchanged records into nothing. It yields vendor records; it maps nothing and writes nothing.
import { Gaxios, GaxiosError } from "gaxios";
import { JWT } from "google-auth-library";
import type { admin_directory_v1 } from "googleapis";
// The Admin API alone, from the same official package: its index loads every Google API (~90 MB
// of memory) for the one this connector uses.
import adminApis from "googleapis/build/src/apis/admin/index.js";
import { CredentialsError, type PullConnector, type SyncItem, type VendorRecord } from "../types.js";
import { GOOGLE_SCOPES, GOOGLE_TOKEN_URL, type GoogleCredentials, type GoogleSettings } from "./settings.js";

/** The API's page-size caps (§2.3, §2.4). */
export const USERS_PAGE = 500;
export const GROUPS_PAGE = 200;
export const MEMBERS_PAGE = 200;

/** 403 reasons that mean "slow down", not "not allowed" (§2.6): a 403 is retried only for these. */
const THROTTLE_REASONS = new Set(["userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded"]);
const MAX_ATTEMPTS = 6;
const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 32_000;
/** A listing whose page token keeps expiring is not going to finish; give up rather than loop. */
const MAX_LISTING_RESTARTS = 2;

export interface GoogleConnectorOptions {
  credentials: GoogleCredentials;
  settings: GoogleSettings;
  /** Backoff sleeps go through here, so tests need not wait. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The jitter source, in [0, 1). */
  random?: () => number;
  /** Called before each backoff, for sync logs. */
  onRetry?: (note: { status: number; reason: string | null; attempt: number; delayMs: number }) => void;
  /** Called when an expired page token makes a listing start over. */
  onRestart?: (note: { listing: string }) => void;
}

type Page<T> = { items: T[]; next: string | null };

export class GoogleConnector implements PullConnector {
  private readonly jwt: JWT;
  private readonly admin: admin_directory_v1.Admin;
  private readonly customer: string;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: GoogleConnectorOptions) {
    const { credentials, settings } = options;
    this.customer = credentials.customer_id;
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
    const key = credentials.service_account_key;
    this.jwt = new JWT({
      email: key.client_email,
      key: key.private_key,
      keyId: key.private_key_id,
      scopes: GOOGLE_SCOPES,
      subject: credentials.admin_email,
      transporter: tokenTransporter(settings.token_url) as never,
    });
    // googleapis bundles its own google-auth-library; a top-level JWT works as its auth (§2.2).
    this.admin = adminApis.admin({ version: "directory_v1", auth: this.jwt as never, rootUrl: settings.api_root });
  }

  /** One token request, then one users.list of a single user. */
  async check(signal: AbortSignal): Promise<void> {
    try {
      await this.jwt.authorize();
    } catch (error) {
      throw credentialsError(error) ?? new CredentialsError(`could not get a token from ${this.options.settings.token_url}: ${(error as Error).message}`);
    }
    try {
      await this.call(() => this.admin.users.list({ customer: this.customer, maxResults: 1 }, { retry: false, signal }), signal);
    } catch (error) {
      throw credentialsError(error) ?? new CredentialsError(`could not read users from ${this.options.settings.api_root}: ${(error as Error).message}`);
    }
  }

  async *snapshot(signal: AbortSignal): AsyncIterable<SyncItem> {
    // Suspended and archived users are ordinary entries of this list (flags on the record), so one
    // listing covers them; deleted users are not listed, and the snapshot sweep removes them.
    for await (const users of this.list("users", (pageToken) => this.usersPage(pageToken, signal), signal)) {
      yield users.map((u): VendorRecord => ({ kind: "user", id: String(u.id), raw: u as Record<string, unknown> }));
    }
    for await (const groups of this.list("groups", (pageToken) => this.groupsPage(pageToken, signal), signal)) {
      yield groups.map((g): VendorRecord => ({ kind: "group", id: String(g.id), raw: g as Record<string, unknown> }));
      for (const group of groups) yield* this.members(String(group.id), signal);
    }
    // No cursor: there is no feed to resume from, so the next run is a snapshot again.
  }

  /**
   * A group's effective user members. The canonical model has user memberships only, so nested
   * groups are flattened by Google itself: includeDerivedMembership=true lists the users reached
   * through GROUP members too, and the GROUP entries themselves are dropped. A CUSTOMER entry means
   * "everyone in the account": it names no user, and expanding it would copy the whole directory
   * into the group on every run, so it is skipped; EXTERNAL members are outside the directory.
   */
  private async *members(groupId: string, signal: AbortSignal): AsyncIterable<VendorRecord[]> {
    for await (const members of this.list(`members of ${groupId}`, (pageToken) => this.membersPage(groupId, pageToken, signal), signal)) {
      const records: VendorRecord[] = [];
      // A user reached twice (directly and through a nested group) is one membership. Deduplicated
      // per page, so memory stays bounded by a page; a repeat on a later page is a no-op write.
      const seen = new Set<string>();
      for (const m of members) {
        if (m.type !== "USER" || !m.id || seen.has(m.id)) continue;
        seen.add(m.id);
        records.push({ kind: "membership", groupId, userId: m.id });
      }
      if (records.length) yield records;
    }
  }

  private async usersPage(pageToken: string | undefined, signal: AbortSignal): Promise<Page<admin_directory_v1.Schema$User>> {
    const data = await this.call(
      () => this.admin.users.list({ customer: this.customer, maxResults: USERS_PAGE, projection: "full", ...(pageToken ? { pageToken } : {}) }, { retry: false, signal }),
      signal,
    );
    return { items: data.users ?? [], next: data.nextPageToken ?? null };
  }

  private async groupsPage(pageToken: string | undefined, signal: AbortSignal): Promise<Page<admin_directory_v1.Schema$Group>> {
    const data = await this.call(
      () => this.admin.groups.list({ customer: this.customer, maxResults: GROUPS_PAGE, ...(pageToken ? { pageToken } : {}) }, { retry: false, signal }),
      signal,
    );
    return { items: data.groups ?? [], next: data.nextPageToken ?? null };
  }

  private async membersPage(groupKey: string, pageToken: string | undefined, signal: AbortSignal): Promise<Page<admin_directory_v1.Schema$Member>> {
    const data = await this.call(
      () =>
        this.admin.members.list(
          { groupKey, maxResults: MEMBERS_PAGE, includeDerivedMembership: true, ...(pageToken ? { pageToken } : {}) },
          { retry: false, signal },
        ),
      signal,
    );
    return { items: data.members ?? [], next: data.nextPageToken ?? null };
  }

  /**
   * Pages one listing until a page comes without nextPageToken; Google omits the array on an empty
   * page. Page tokens live 3 days (§2.3): if one expired mid-scan (a 400 on the token), the listing
   * starts over. Records already yielded come again, which is harmless: reconcile compares every
   * record with what it stored, and the snapshot sweep only counts what it saw.
   */
  private async *list<T>(listing: string, fetchPage: (pageToken: string | undefined) => Promise<Page<T>>, signal: AbortSignal): AsyncGenerator<T[]> {
    let pageToken: string | undefined;
    let restarts = 0;
    for (;;) {
      signal.throwIfAborted();
      let page: Page<T>;
      try {
        page = await fetchPage(pageToken);
      } catch (error) {
        if (pageToken !== undefined && isExpiredPageToken(error) && restarts < MAX_LISTING_RESTARTS) {
          restarts++;
          pageToken = undefined;
          this.options.onRestart?.({ listing });
          continue;
        }
        throw credentialsError(error) ?? error;
      }
      if (page.items.length > 0) yield page.items;
      if (!page.next) return;
      pageToken = page.next;
    }
  }

  /**
   * One API call. The SDK's own retry is off on every call (it ignores Retry-After and skips the
   * throttling 403s, §2.2): throttling and outages back off here, exponentially with full jitter;
   * a 401 gets one fresh token; anything else (403 forbidden, 404, 400) fails at once.
   */
  private async call<T>(request: () => Promise<{ data: T }>, signal: AbortSignal): Promise<T> {
    let reauthorized = false;
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      try {
        return (await request()).data;
      } catch (error) {
        if (signal.aborted) throw error;
        const { status, reason } = errorFacts(error);
        if (status === 401 && !reauthorized && !isTokenEndpointError(error)) {
          // Our token expired early or was revoked: an expiry in the past makes the JWT client
          // mint a new one rather than reuse its cached copy.
          reauthorized = true;
          this.jwt.credentials = { ...this.jwt.credentials, expiry_date: 1 };
          continue;
        }
        if (!isTransient(status, reason) || attempt >= MAX_ATTEMPTS) throw error;
        const delayMs = Math.floor(this.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1)));
        this.options.onRetry?.({ status, reason, attempt, delayMs });
        await this.sleep(delayMs, signal);
      }
    }
  }
}

/**
 * The transporter the JWT client posts its token requests through. google-auth-library hard-codes
 * Google's token URL (§2.2); an interceptor sends those requests to `tokenUrl` instead. API calls
 * made through the same transporter pass untouched. A URL object, not a string: gaxios 7's error
 * redactor fails on a string URL and hides the token error.
 */
function tokenTransporter(tokenUrl: string): Gaxios {
  const transporter = new Gaxios();
  if (tokenUrl === GOOGLE_TOKEN_URL) return transporter;
  transporter.interceptors.request.add({
    resolved: async (config) => {
      if (String(config.url).startsWith(GOOGLE_TOKEN_URL)) config.url = new URL(tokenUrl);
      return config;
    },
  });
  return transporter;
}

interface ErrorFacts {
  /** HTTP status; 0 when a request got no response (network failure), -1 when none was made. */
  status: number;
  /** Google's `errors[0].reason` for API errors, the OAuth `error` for token errors. */
  reason: string | null;
  message: string;
}

function errorFacts(error: unknown): ErrorFacts {
  const response = (error as GaxiosError).response;
  const data = response?.data as { error?: unknown; error_description?: unknown } | undefined;
  let reason: string | null = null;
  let message = error instanceof Error ? error.message : String(error);
  if (typeof data?.error === "string") {
    reason = data.error;
    if (typeof data.error_description === "string") message = data.error_description;
  } else if (data?.error && typeof data.error === "object") {
    const body = data.error as { message?: unknown; errors?: Array<{ reason?: unknown }> };
    const first = body.errors?.[0]?.reason;
    reason = typeof first === "string" ? first : null;
    if (typeof body.message === "string") message = body.message;
  }
  return { status: response?.status ?? (error instanceof GaxiosError ? 0 : -1), reason, message };
}

/** The OAuth token endpoint answers `{ error: "<code>", error_description }`; the API nests an object. */
function isTokenEndpointError(error: unknown): boolean {
  return typeof ((error as GaxiosError).response?.data as { error?: unknown } | undefined)?.error === "string";
}

function isTransient(status: number, reason: string | null): boolean {
  if (status === 0 || status === 429 || status >= 500) return true;
  return status === 403 && reason !== null && THROTTLE_REASONS.has(reason);
}

function isExpiredPageToken(error: unknown): boolean {
  const { status, message } = errorFacts(error);
  return status === 400 && /pageToken/i.test(message);
}

/**
 * Auth failures as CredentialsError, with what the admin should fix; null for anything else.
 * Token errors come from the JWT-bearer exchange (§2.1), the rest from the Directory API.
 */
export function credentialsError(error: unknown): CredentialsError | null {
  if (error instanceof CredentialsError) return error;
  const { status, reason, message } = errorFacts(error);
  // A token endpoint in trouble (5xx) is an outage, not a verdict on the credentials.
  if (isTokenEndpointError(error) && status < 500) {
    switch (reason) {
      case "unauthorized_client":
        return new CredentialsError(
          `Google refused the token (unauthorized_client): domain-wide delegation is not granted to this service account's client id for the scopes ${GOOGLE_SCOPES.join(", ")}; add them under Security > API controls > Domain-wide delegation`,
        );
      case "invalid_grant":
        return new CredentialsError(
          `Google refused the token (invalid_grant: ${message}): check that admin_email is an existing user of the Workspace account and that the service account key is current and not revoked`,
        );
      default:
        return new CredentialsError(`Google refused the token (${reason ?? status}): ${message}`);
    }
  }
  if (status === 401) return new CredentialsError(`Google refused the access token (401 ${reason ?? "unauthorized"}): ${message}`);
  if (status === 403 && (reason === null || !THROTTLE_REASONS.has(reason))) {
    return new CredentialsError(
      `Google refused the read (403 ${reason ?? "forbidden"}: ${message}): the impersonated admin_email must be a Workspace admin with read access to users and groups`,
    );
  }
  // Signing fails before any request is made when the PEM key cannot be read.
  if (status === -1 && /DECODER|PEM|asn1|private key/i.test(message)) {
    return new CredentialsError(`the service account private key could not be used: ${message}`);
  }
  return null;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
