// The Okta pull connector, on the official @okta/okta-sdk-nodejs. A snapshot lists every user
// (DEPROVISIONED included), every group except BUILT_IN (Everyone) and each group's members. An
// incremental run reads users and groups with lastUpdated after the cursor, plus the System Log for
// deletions and membership changes, so a small change never walks the whole directory.
// It yields vendor records; it maps nothing and writes nothing.
import { createSign, randomUUID } from "node:crypto";
import type * as okta from "@okta/okta-sdk-nodejs";
import { CredentialsError, CursorExpiredError, type PullConnector, type SyncCursor, type SyncItem, type VendorRecord } from "../types.js";
import { OKTA_SCOPES, type OktaCredentials } from "./settings.js";

const PAGE = 200;
/** Re-read this much before the cursor: Okta's clocks and System Log persistence lag a little. */
const OVERLAP_MS = 5 * 60_000;
/** An Okta-accepted lower bound that matches every user, DEPROVISIONED included (§3.4). */
const EVERYONE_FILTER = 'lastUpdated gt "1970-01-01T00:00:00.000Z"';
const LOG_FILTER = [
  'eventType eq "user.lifecycle.delete.initiated"',
  'eventType eq "group.user_membership.add"',
  'eventType eq "group.user_membership.remove"',
  'eventType eq "group.lifecycle.delete"',
].join(" or ");
/** Okta keeps the System Log about 90 days; an older cursor cannot be trusted to be complete. */
const LOG_RETENTION_MS = 89 * 86_400_000;

export interface OktaConnectorOptions {
  credentials: OktaCredentials;
  /** The clock cursors are taken from. */
  now?: () => number;
  /** 429 retries the SDK makes, waiting until X-Rate-Limit-Reset each time. */
  maxRetries?: number;
  fetch?: typeof fetch;
}

interface OktaCursor {
  v: 1;
  /** Users, groups and log events at or after this time are read again. */
  since: string;
}

export class OktaConnector implements PullConnector {
  private clientPromise: Promise<okta.Client> | null = null;
  private sdkPromise: Promise<typeof okta> | null = null;
  private readonly now: () => number;
  private builtInGroups = new Set<string>();

  constructor(private readonly options: OktaConnectorOptions) {
    this.now = options.now ?? Date.now;
    const { credentials } = options;
    const auth =
      "api_token" in credentials
        ? { token: credentials.api_token }
        : {
            authorizationMode: "PrivateKey",
            clientId: credentials.client_id,
            scopes: OKTA_SCOPES,
            privateKey: credentials.private_key,
            ...(credentials.key_id ? { keyId: credentials.key_id } : {}),
          };
    this.config = { orgUrl: credentials.org_url, ...auth };
  }

  private readonly config: Record<string, unknown>;

  /**
   * The SDK client, created on first use: the SDK loads every Okta API and model (~90 MB of memory),
   * which a process that never pulls from Okta should not pay for.
   */
  private client(): Promise<okta.Client> {
    this.clientPromise ??= this.sdk().then(
      (sdk) =>
        // Everything is passed explicitly, so no okta.yaml or OKTA_* variable on the machine leaks in;
        // the response cache is off because it never expires single-resource reads.
        new sdk.Client({
          ...this.config,
          cacheMiddleware: null,
          requestExecutor: new sdk.DefaultRequestExecutor({ maxRetries: this.options.maxRetries ?? 4, requestTimeout: 60_000 }),
        } as never),
    );
    return this.clientPromise;
  }

  /**
   * The SDK's module, imported once: every import() is resolved again, and under a loader with hooks
   * (tsx) each resolution is a round trip to the hooks' thread (2 s of a 100,000-user sync's CPU when
   * each of 2,000 group-member listings imported it).
   */
  private sdk(): Promise<typeof okta> {
    this.sdkPromise ??= import("@okta/okta-sdk-nodejs");
    return this.sdkPromise;
  }

  async check(signal: AbortSignal): Promise<void> {
    // The SDK hides token-endpoint errors (idp-apis.md §3.10), so ask for a token ourselves to say why.
    if (!("api_token" in this.options.credentials)) await this.requestToken(this.options.credentials, signal);
    try {
      for await (const user of await (await this.client()).userApi.listUsers({ limit: 1 })) {
        void user;
        break;
      }
      for await (const event of await (await this.client()).systemLogApi.listLogEvents({ since: new Date(this.now() - 60_000).toISOString(), limit: 1 })) {
        void event;
        break;
      }
    } catch (error) {
      throw credentialsError(error);
    }
  }

  async *snapshot(signal: AbortSignal): AsyncIterable<SyncItem> {
    const cursor = this.cursorFromNow();
    yield* this.users(EVERYONE_FILTER, signal);
    for await (const groups of this.groups(undefined, signal)) {
      yield groups;
      for (const group of groups) {
        if (group.kind === "group") yield* this.members(group.id, signal);
      }
    }
    yield { cursor };
  }

  async *changes(cursor: SyncCursor, signal: AbortSignal): AsyncIterable<SyncItem> {
    const { since } = parseCursor(cursor);
    if (this.now() - Date.parse(since) > LOG_RETENTION_MS) throw new CursorExpiredError("the cursor is older than Okta keeps its System Log");
    const next = this.cursorFromNow();
    yield* this.users(`lastUpdated gt "${since}"`, signal);
    // Groups whose profile changed; membership changes come from the log, never by re-listing members.
    yield* this.groups(`lastUpdated gt "${since}"`, signal);
    yield* this.logChanges(since, signal);
    yield { cursor: next };
  }

  private async *users(filter: string, signal: AbortSignal): AsyncIterable<VendorRecord[]> {
    yield* batches(await this.list("/api/v1/users", { filter, limit: PAGE }), (user) => ({ kind: "user", id: String(user.id), raw: withoutLinks(user) }), signal);
  }

  private async *groups(filter: string | undefined, signal: AbortSignal): AsyncIterable<VendorRecord[]> {
    const collection = await this.list("/api/v1/groups", { ...(filter ? { filter } : {}), limit: PAGE });
    yield* batches(
      collection,
      (group) => {
        // Everyone (BUILT_IN) holds every user and changes on every create: not a group an app wants.
        if (group.type === "BUILT_IN") {
          this.builtInGroups.add(String(group.id));
          return null;
        }
        return { kind: "group", id: String(group.id), raw: withoutLinks(group) };
      },
      signal,
    );
  }

  private async *members(groupId: string, signal: AbortSignal): AsyncIterable<VendorRecord[]> {
    const members = await this.list(`/api/v1/groups/${encodeURIComponent(groupId)}/users`, { limit: 1000 });
    yield* batches(members, (user) => ({ kind: "membership", groupId, userId: String(user.id) }), signal);
  }

  /**
   * A list endpoint's items as the JSON Okta sent, through the SDK's own Collection (its auth,
   * 429 retries and Link paging). Not the SDK's list methods: their models drop fields (a group's
   * source and custom profile attributes, a user's credentials.emails; idp-apis.md §3.10), and
   * building and re-serializing 600,000 models was most of a 100,000-user snapshot's CPU.
   */
  private async list(path: string, query: Record<string, string | number>): Promise<AsyncIterable<Record<string, unknown>>> {
    const [client, sdk] = await Promise.all([this.client(), this.sdk()]);
    const url = new URL(path, this.options.credentials.org_url);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
    return new sdk.Collection(client.http, url.href, {} as never) as unknown as AsyncIterable<Record<string, unknown>>;
  }

  /**
   * Deletions and membership changes since `since`, in log order. The log is polled: its Collection
   * never ends, and yields null once caught up (§3.6), which is where this stops.
   */
  private async *logChanges(since: string, signal: AbortSignal): AsyncIterable<VendorRecord[]> {
    const events = await (await this.client()).systemLogApi.listLogEvents({ since, filter: LOG_FILTER, limit: 1000 });
    let page: VendorRecord[] = [];
    for await (const event of events) {
      if (event === null) break;
      signal.throwIfAborted();
      const record = logRecord(event as unknown as LogEvent, this.builtInGroups);
      if (record) page.push(record);
      if (page.length >= PAGE) {
        yield page;
        page = [];
      }
    }
    if (page.length) yield page;
  }

  private cursorFromNow(): SyncCursor {
    return JSON.stringify({ v: 1, since: new Date(this.now() - OVERLAP_MS).toISOString() } satisfies OktaCursor);
  }

  /** client_credentials with a private_key_jwt assertion, as the SDK does it, but reading the error. */
  private async requestToken(credentials: Extract<OktaCredentials, { client_id: string }>, signal: AbortSignal): Promise<void> {
    const audience = `${credentials.org_url}/oauth2/v1/token`;
    const nowSeconds = Math.floor(this.now() / 1000);
    const header = { alg: "RS256", typ: "JWT", ...(credentials.key_id ? { kid: credentials.key_id } : {}) };
    const claims = { aud: audience, iss: credentials.client_id, sub: credentials.client_id, jti: randomUUID(), iat: nowSeconds, exp: nowSeconds + 300 };
    const unsigned = `${b64(header)}.${b64(claims)}`;
    let signature: string;
    try {
      signature = createSign("RSA-SHA256").update(unsigned).sign(credentials.private_key).toString("base64url");
    } catch {
      throw new CredentialsError("the private key could not be read: give an RSA private key in PEM format");
    }
    const response = await (this.options.fetch ?? fetch)(audience, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        scope: OKTA_SCOPES.join(" "),
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: `${unsigned}.${signature}`,
      }),
      signal,
    }).catch((error: Error) => {
      throw new CredentialsError(`could not reach ${audience}: ${error.message}`);
    });
    if (response.ok) return;
    const body = (await response.json().catch(() => ({}))) as { error?: string; error_description?: string };
    throw new CredentialsError(`Okta refused the service app (${body.error ?? response.status}): ${body.error_description ?? "no reason given"}`);
  }
}

interface LogEvent {
  eventType: string;
  target?: { id: string; type: string }[];
}

function logRecord(event: LogEvent, builtIn: Set<string>): VendorRecord | null {
  const user = event.target?.find((t) => t.type === "User")?.id;
  const group = event.target?.find((t) => t.type === "UserGroup")?.id;
  switch (event.eventType) {
    case "user.lifecycle.delete.initiated":
      return user ? { kind: "user_removed", id: user, soft: false } : null;
    case "group.lifecycle.delete":
      return group ? { kind: "group_removed", id: group } : null;
    case "group.user_membership.add":
      return user && group && !builtIn.has(group) ? { kind: "membership", groupId: group, userId: user } : null;
    case "group.user_membership.remove":
      return user && group && !builtIn.has(group) ? { kind: "membership_removed", groupId: group, userId: user } : null;
    default:
      return null;
  }
}

/** Collects a Collection's items into pages; `map` may drop an item by returning null. */
async function* batches<T>(collection: AsyncIterable<T>, map: (item: NonNullable<T>) => VendorRecord | null, signal: AbortSignal): AsyncIterable<VendorRecord[]> {
  let page: VendorRecord[] = [];
  for await (const item of collection) {
    if (item === null || item === undefined) break;
    signal.throwIfAborted();
    const record = map(item);
    if (record) page.push(record);
    if (page.length >= PAGE) {
      yield page;
      page = [];
    }
  }
  if (page.length) yield page;
}

/** An Okta resource for raw_attributes: as sent, without its hypermedia links. */
function withoutLinks(resource: Record<string, unknown>): Record<string, unknown> {
  const { _links: _omitted, ...rest } = resource;
  return rest;
}

function parseCursor(cursor: SyncCursor): OktaCursor {
  try {
    const parsed = JSON.parse(cursor) as OktaCursor;
    if (parsed.v === 1 && !Number.isNaN(Date.parse(parsed.since))) return parsed;
  } catch {
    // fall through
  }
  throw new CursorExpiredError("the saved Okta cursor is not one this connector wrote");
}

function credentialsError(error: unknown): Error {
  const status = (error as { status?: number }).status;
  if (status === 401 || status === 403) {
    const summary = (error as { errorSummary?: string }).errorSummary ?? "refused";
    return new CredentialsError(`Okta refused the credentials (${status}): ${summary}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
