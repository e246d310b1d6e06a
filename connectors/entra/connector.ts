// The Entra (Microsoft Graph) pull connector: full snapshots and incremental changes both come from
// users/delta and groups/delta (an initial round lists everything and ends with a deltaLink, which
// is the cursor). It yields vendor records and maps nothing, writes nothing.
import { GraphError, type Client } from "@microsoft/microsoft-graph-client";
import { CredentialsError, CursorExpiredError, type PullConnector, type SyncCursor, type SyncItem, type VendorRecord } from "../types.js";
import { createGraphClient } from "./graph-client.js";
import type { EntraCredentials, EntraSettings } from "./settings.js";
import { ClientCredentialsTokenProvider } from "./token-provider.js";

/** Every user property the mapping reads, always named: Graph's default set lacks accountEnabled and more. */
export const USER_SELECT = [
  "id", "userPrincipalName", "mail", "givenName", "surname", "displayName", "accountEnabled", "jobTitle", "department",
  "companyName", "officeLocation", "employeeId", "employeeType", "mobilePhone", "businessPhones", "userType",
  "onPremisesExtensionAttributes",
];
/** `members` makes groups/delta carry members@delta. */
export const GROUP_SELECT = ["id", "displayName", "description", "mail", "mailEnabled", "mailNickname", "securityEnabled", "groupTypes", "members"];

/** Graph's codes for "this delta token is dead, start over"; casing varies in the wild. */
const RESET_CODES = /^(syncstatenotfound|resyncrequired|syncstateinvalid)$/i;
const TRANSIENT_ATTEMPTS = 5;

export interface EntraConnectorOptions {
  credentials: EntraCredentials;
  settings: EntraSettings;
  fetch?: typeof fetch;
  now?: () => number;
  /** Backoff sleeps go through here, so tests need not wait. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called with throttling and retry notes, for sync logs. */
  onRetry?: (note: { status: number; attempt: number; delayMs: number }) => void;
}

interface EntraCursor {
  v: 1;
  users: string;
  groups: string;
  /** The $select each link was made with: a changed selection needs a new initial round. */
  select: string;
}

export class EntraConnector implements PullConnector {
  private readonly tokens: ClientCredentialsTokenProvider;
  private readonly client: Client;
  private readonly endpoint: string;
  private readonly userSelect: string;
  private readonly groupSelect = GROUP_SELECT.join(",");

  constructor(private readonly options: EntraConnectorOptions) {
    const { settings, credentials } = options;
    this.endpoint = settings.graph_endpoint;
    this.tokens = new ClientCredentialsTokenProvider({
      credentials,
      authority: settings.login_authority,
      scope: `${settings.graph_endpoint}/.default`,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    this.client = createGraphClient(this.endpoint, this.tokens);
    this.userSelect = [...new Set([...USER_SELECT, ...settings.extra_user_properties])].join(",");
  }

  async check(signal: AbortSignal): Promise<void> {
    await this.tokens.getAccessToken();
    try {
      await this.get("/users?$top=1&$select=id", signal);
      await this.get("/groups?$top=1&$select=id", signal);
    } catch (error) {
      if (error instanceof GraphError && (error.statusCode === 401 || error.statusCode === 403)) {
        throw new CredentialsError(`Graph refused the request (${error.code ?? error.statusCode}): ${error.message}`);
      }
      if (error instanceof CredentialsError) throw error;
      throw new CredentialsError(`could not read from ${this.endpoint}: ${(error as Error).message}`);
    }
  }

  async *snapshot(signal: AbortSignal): AsyncIterable<SyncItem> {
    const users = yield* this.round(`/users/delta?$select=${this.userSelect}`, toUserRecords, signal);
    const groups = yield* this.round(`/groups/delta?$select=${this.groupSelect}`, toGroupRecords, signal);
    yield { cursor: this.cursor(users, groups) };
  }

  async *changes(cursor: SyncCursor, signal: AbortSignal): AsyncIterable<SyncItem> {
    const saved = parseCursor(cursor);
    if (!saved || saved.select !== this.selection()) throw new CursorExpiredError("the saved delta cursor does not match the current $select");
    const users = yield* this.round(this.requestPath(saved.users), toUserRecords, signal, true);
    const groups = yield* this.round(this.requestPath(saved.groups), toGroupRecords, signal, true);
    yield { cursor: this.cursor(users, groups) };
  }

  /** Follows nextLinks verbatim until the round's deltaLink, which it returns. */
  private async *round(
    start: string,
    toRecords: (value: Record<string, unknown>[]) => VendorRecord[],
    signal: AbortSignal,
    fromToken = false,
  ): AsyncGenerator<VendorRecord[], string> {
    let path = start;
    for (;;) {
      const page = await this.get(path, signal, fromToken);
      const records = toRecords((page.value as Record<string, unknown>[] | undefined) ?? []);
      if (records.length > 0) yield records;
      const next = page["@odata.nextLink"];
      if (typeof next === "string") {
        path = this.requestPath(next);
        fromToken = true;
        continue;
      }
      const delta = page["@odata.deltaLink"];
      if (typeof delta !== "string") throw new Error("Graph delta page carried neither @odata.nextLink nor @odata.deltaLink");
      return delta;
    }
  }

  /**
   * One GET through the SDK. 401 refreshes the token once; 5xx, network failures and throttling
   * that outlasted the SDK's own retries back off exponentially (honouring Retry-After); a dead
   * delta or skip token becomes CursorExpiredError.
   */
  private async get(path: string, signal: AbortSignal, carriesToken = false): Promise<Record<string, unknown>> {
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      // Fetched here, not only in the auth middleware: the SDK would wrap a refused token request
      // into a GraphError without status, hiding the CredentialsError and its reason.
      await this.tokens.getAccessToken();
      try {
        return (await this.client.api(path).get()) as Record<string, unknown>;
      } catch (error) {
        const status = error instanceof GraphError ? error.statusCode : -1;
        if (status === 401 && !refreshed) {
          refreshed = true;
          this.tokens.invalidate();
          continue;
        }
        if (carriesToken && error instanceof GraphError && (status === 410 || (status === 400 && RESET_CODES.test(error.code ?? "")))) {
          throw new CursorExpiredError(`Graph asked for a full resync (${status} ${error.code ?? ""})`);
        }
        const transient = status === -1 || status === 429 || status >= 500;
        if (!transient || attempt >= TRANSIENT_ATTEMPTS) throw error;
        const retryAfter = error instanceof GraphError ? Number(error.headers?.get("retry-after") ?? NaN) : NaN;
        const delayMs = Number.isFinite(retryAfter) ? retryAfter * 1000 : Math.min(30_000, 500 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        this.options.onRetry?.({ status, attempt, delayMs });
        await (this.options.sleep ?? sleep)(delayMs, signal);
      }
    }
  }

  /** An absolute link of this endpoint as the path the SDK expects; links elsewhere are refused. */
  private requestPath(link: string): string {
    const prefix = `${this.endpoint}/v1.0/`;
    if (!link.startsWith(prefix)) throw new Error(`Graph returned a link outside ${this.endpoint}`);
    return `/${link.slice(prefix.length)}`;
  }

  private selection(): string {
    return `${this.userSelect}|${this.groupSelect}`;
  }

  private cursor(users: string, groups: string): SyncCursor {
    const cursor: EntraCursor = { v: 1, users, groups, select: this.selection() };
    return JSON.stringify(cursor);
  }
}

function parseCursor(text: string): EntraCursor | null {
  try {
    const value = JSON.parse(text) as Partial<EntraCursor>;
    return value.v === 1 && typeof value.users === "string" && typeof value.groups === "string" && typeof value.select === "string" ? (value as EntraCursor) : null;
  } catch {
    return null;
  }
}

function removal(item: Record<string, unknown>): { reason: string } | null {
  const removed = item["@removed"];
  return removed && typeof removed === "object" ? { reason: String((removed as { reason?: unknown }).reason ?? "deleted") } : null;
}

/** `@removed` reason "changed" is a soft delete (restorable for 30 days); "deleted" is final. */
export function toUserRecords(value: Record<string, unknown>[]): VendorRecord[] {
  return value.map((item): VendorRecord => {
    const id = String(item.id);
    const removed = removal(item);
    return removed ? { kind: "user_removed", id, soft: removed.reason === "changed" } : { kind: "user", id, raw: item };
  });
}

/**
 * A group entry may repeat across pages, each with a slice of members@delta; an entry that carries
 * only its id and links is not a property change. Nested groups and other member types are not
 * user memberships and are skipped.
 */
export function toGroupRecords(value: Record<string, unknown>[]): VendorRecord[] {
  const records: VendorRecord[] = [];
  for (const item of value) {
    const id = String(item.id);
    if (removal(item)) {
      records.push({ kind: "group_removed", id });
      continue;
    }
    const { "members@delta": links, ...raw } = item;
    if (Object.keys(raw).some((k) => k !== "id" && !k.startsWith("@odata."))) records.push({ kind: "group", id, raw });
    for (const link of Array.isArray(links) ? (links as Record<string, unknown>[]) : []) {
      const type = link["@odata.type"];
      if (type !== undefined && type !== "#microsoft.graph.user") continue;
      const userId = String(link.id);
      records.push(removal(link) ? { kind: "membership_removed", groupId: id, userId } : { kind: "membership", groupId: id, userId });
    }
  }
  return records;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
