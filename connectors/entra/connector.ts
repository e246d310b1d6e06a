// The Entra (Microsoft Graph) pull connector: full snapshots and incremental changes both come from
// users/delta and groups/delta (an initial round lists everything and ends with a deltaLink, which
// is the cursor). Nested groups are flattened, as Google's includeDerivedMembership does: a user
// reached through a nested group is a member of the outer group too. It yields vendor records and
// maps nothing, writes nothing.
import { GraphError, type Client } from "@microsoft/microsoft-graph-client";
import { CredentialsError, CursorExpiredError, type PullConnector, type SyncCursor, type SyncItem, type VendorRecord } from "../types.js";
import { createGraphClient } from "./graph-client.js";
import type { EntraCredentials, EntraSettings } from "./settings.js";
import { ClientCredentialsTokenProvider } from "./token-provider.js";

/** Every user property the mapping reads, always named: Graph's default set lacks accountEnabled and more. */
export const USER_SELECT = [
  "id", "userPrincipalName", "mail", "givenName", "surname", "displayName", "accountEnabled", "jobTitle", "department",
  "companyName", "officeLocation", "employeeId", "employeeType", "mobilePhone", "businessPhones", "userType",
  "onPremisesExtensionAttributes", "employeeOrgData", "otherMails",
  // A relationship: users/delta reports it as manager@delta (see withManagers).
  "manager",
];
/** `members` makes groups/delta carry members@delta. */
export const GROUP_SELECT = ["id", "displayName", "description", "mail", "mailEnabled", "mailNickname", "securityEnabled", "groupTypes", "members"];

/** Graph's codes for "this delta token is dead, start over"; casing varies in the wild. */
const RESET_CODES = /^(syncstatenotfound|resyncrequired|syncstateinvalid)$/i;
const TRANSIENT_ATTEMPTS = 5;
/** Requests one JSON batch may carry (Graph's limit). */
const BATCH_LIMIT = 20;

/** One answer inside a $batch response. */
interface BatchResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: Record<string, unknown>;
}

function headerOf(headers: Record<string, string> | undefined, name: string): string | undefined {
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers![key];
}

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
  /**
   * Groups that hold or sit in another group. Delta reports direct links only, so a membership
   * change on one of them needs the flattening redone: that incremental run becomes a full one.
   */
  nested?: string[];
}

/** The nested-group links a groups round reported: outer group -> groups directly inside it. */
class Nesting {
  readonly children = new Map<string, Set<string>>();

  add(parent: string, child: string): void {
    const set = this.children.get(parent) ?? new Set<string>();
    set.add(child);
    this.children.set(parent, set);
  }

  /** Every group on either side of a link. */
  involved(): string[] {
    return [...new Set([...this.children.keys(), ...[...this.children.values()].flatMap((c) => [...c])])];
  }
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
    // An initial round lists the manager link of every user that has one: no link, no manager.
    const users = yield* this.round(`/users/delta?$select=${this.userSelect}`, (value) => toUserRecords(value, true), signal);
    const nesting = new Nesting();
    const groups = yield* this.round(`/groups/delta?$select=${this.groupSelect}`, (value) => toGroupRecords(value, (parent, child) => nesting.add(parent, child)), signal);
    // members@delta lists direct members only; Graph's transitiveMembers adds those reached through
    // nested groups. Only outer groups need it, and a repeat of a direct member is a no-op write.
    for (const parent of nesting.children.keys()) yield* this.transitiveUsers(parent, signal);
    yield { cursor: this.cursor(users, groups, nesting.involved()) };
  }

  async *changes(cursor: SyncCursor, signal: AbortSignal): AsyncIterable<SyncItem> {
    const saved = parseCursor(cursor);
    if (!saved || saved.select !== this.selection()) throw new CursorExpiredError("the saved delta cursor does not match the current $select");
    const involved = new Set(saved.nested ?? []);
    const users = yield* this.round(this.requestPath(saved.users), (value) => this.withManagers(toUserRecords(value, false), signal), signal, true);
    const nestingChanged = () => new CursorExpiredError("a nested group's members changed; running a full resync to flatten them again");
    const groups = yield* this.round(
      this.requestPath(saved.groups),
      (value) => {
        const records = toGroupRecords(value, () => {
          throw nestingChanged();
        });
        for (const r of records) {
          const groupId = r.kind === "membership" || r.kind === "membership_removed" ? r.groupId : r.kind === "group_removed" ? r.id : null;
          if (groupId !== null && involved.has(groupId)) throw nestingChanged();
        }
        return records;
      },
      signal,
      true,
    );
    yield { cursor: this.cursor(users, groups, [...involved]) };
  }

  /**
   * A later delta round carries manager@delta only for users whose manager link changed; for the
   * other changed users the manager is read (GET /users/{id}/manager, 20 to a $batch), so every
   * user record says who its manager is and an unrelated change never clears it.
   */
  private async withManagers(records: VendorRecord[], signal: AbortSignal): Promise<VendorRecord[]> {
    const unknown = records.filter((r): r is Extract<VendorRecord, { kind: "user" }> => r.kind === "user" && r.raw.manager === undefined);
    // JSON batching: one round trip reads the managers of up to 20 users.
    for (let i = 0; i < unknown.length; i += BATCH_LIMIT) {
      const chunk = unknown.slice(i, i + BATCH_LIMIT);
      const answers = await this.batchGet(chunk.map((r) => `/users/${encodeURIComponent(r.id)}/manager?$select=id`), signal);
      chunk.forEach((r, k) => {
        const answer = answers[k]!;
        if (answer.status === 200) r.raw.manager = { id: String(answer.body.id) };
        else if (answer.status === 404) r.raw.manager = null;
        else throw new Error(`Graph answered ${answer.status} reading the manager of user ${r.id}`);
      });
    }
    return records;
  }

  /**
   * Up to 20 GETs in one POST /$batch. Each sub-request answers on its own: those throttled or
   * failing transiently (429, 5xx) are sent again after their Retry-After (or a backoff); the
   * others' answers, 404s included, are returned in the order of `urls`.
   */
  private async batchGet(urls: string[], signal: AbortSignal): Promise<{ status: number; body: Record<string, unknown> }[]> {
    const answers: ({ status: number; body: Record<string, unknown> } | undefined)[] = urls.map(() => undefined);
    let pending = urls.map((url, i) => ({ id: String(i), url }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      const page = await this.call("/$batch", { requests: pending.map((p) => ({ id: p.id, method: "GET", url: p.url })) }, signal);
      const retry: typeof pending = [];
      let delayMs = 0;
      let retryStatus = 0;
      for (const response of (page.responses as BatchResponse[] | undefined) ?? []) {
        const item = pending.find((p) => p.id === String(response.id));
        if (!item) continue;
        if ((response.status === 429 || response.status >= 500) && attempt < TRANSIENT_ATTEMPTS) {
          retry.push(item);
          retryStatus = response.status;
          const retryAfter = Number(headerOf(response.headers, "retry-after") ?? NaN);
          delayMs = Math.max(delayMs, Number.isFinite(retryAfter) ? retryAfter * 1000 : Math.min(30_000, 500 * 2 ** (attempt - 1)));
          continue;
        }
        answers[Number(item.id)] = { status: response.status, body: response.body ?? {} };
      }
      const unanswered = pending.filter((p) => answers[Number(p.id)] === undefined && !retry.includes(p));
      if (unanswered.length) throw new Error(`Graph's $batch answer left out ${unanswered.length} of its requests`);
      pending = retry;
      if (pending.length) {
        this.options.onRetry?.({ status: retryStatus, attempt, delayMs });
        await (this.options.sleep ?? sleep)(delayMs, signal);
      }
    }
    return answers as { status: number; body: Record<string, unknown> }[];
  }

  /** Memberships of every user inside `groupId`, directly or through nested groups. */
  private async *transitiveUsers(groupId: string, signal: AbortSignal): AsyncGenerator<VendorRecord[]> {
    let path: string | null = `/groups/${groupId}/transitiveMembers/microsoft.graph.user?$select=id&$top=999`;
    while (path) {
      const page = await this.get(path, signal);
      const value = (page.value as Record<string, unknown>[] | undefined) ?? [];
      if (value.length) yield value.map((m): VendorRecord => ({ kind: "membership", groupId, userId: String(m.id) }));
      const next = page["@odata.nextLink"];
      path = typeof next === "string" ? this.requestPath(next) : null;
    }
  }

  /** Follows nextLinks verbatim until the round's deltaLink, which it returns. */
  private async *round(
    start: string,
    toRecords: (value: Record<string, unknown>[]) => VendorRecord[] | Promise<VendorRecord[]>,
    signal: AbortSignal,
    fromToken = false,
  ): AsyncGenerator<VendorRecord[], string> {
    let path = start;
    for (;;) {
      const page = await this.get(path, signal, fromToken);
      const records = await toRecords((page.value as Record<string, unknown>[] | undefined) ?? []);
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
  private get(path: string, signal: AbortSignal, carriesToken = false): Promise<Record<string, unknown>> {
    return this.call(path, undefined, signal, carriesToken);
  }

  /** A GET, or a POST of `body` (JSON batching), with the retries described on get(). */
  private async call(path: string, body: unknown, signal: AbortSignal, carriesToken = false): Promise<Record<string, unknown>> {
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      // Fetched here, not only in the auth middleware: the SDK would wrap a refused token request
      // into a GraphError without status, hiding the CredentialsError and its reason.
      await this.tokens.getAccessToken();
      try {
        const request = this.client.api(path);
        return (await (body === undefined ? request.get() : request.post(body))) as Record<string, unknown>;
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

  private cursor(users: string, groups: string, nested: string[]): SyncCursor {
    const cursor: EntraCursor = { v: 1, users, groups, select: this.selection(), ...(nested.length ? { nested } : {}) };
    return JSON.stringify(cursor);
  }
}

function parseCursor(text: string): EntraCursor | null {
  try {
    const value = JSON.parse(text) as Partial<EntraCursor>;
    const nestedOk = value.nested === undefined || (Array.isArray(value.nested) && value.nested.every((id) => typeof id === "string"));
    return value.v === 1 && typeof value.users === "string" && typeof value.groups === "string" && typeof value.select === "string" && nestedOk ? (value as EntraCursor) : null;
  } catch {
    return null;
  }
}

function removal(item: Record<string, unknown>): { reason: string } | null {
  const removed = item["@removed"];
  return removed && typeof removed === "object" ? { reason: String((removed as { reason?: unknown }).reason ?? "deleted") } : null;
}

/**
 * `@removed` reason "changed" is a soft delete (restorable for 30 days); "deleted" is final.
 * manager@delta becomes `manager: { id }` (or null), the shape `$expand=manager` gives, so a
 * user's raw record reads the same from every round. Without the link, `initial` says there is no
 * manager; in a later round the manager is left undefined (unknown) for the caller to read.
 */
export function toUserRecords(value: Record<string, unknown>[], initial = true): VendorRecord[] {
  return value.map((item): VendorRecord => {
    const id = String(item.id);
    const removed = removal(item);
    if (removed) return { kind: "user_removed", id, soft: removed.reason === "changed" };
    const { "manager@delta": links, ...raw } = item;
    const link = Array.isArray(links) ? (links as Record<string, unknown>[]).find((l) => !removal(l)) : undefined;
    if (link) raw.manager = { id: String(link.id) };
    else if (Array.isArray(links) || initial) raw.manager = null;
    return { kind: "user", id, raw };
  });
}

/**
 * A group entry may repeat across pages, each with a slice of members@delta; an entry that carries
 * only its id and links is not a property change. A nested group's link is no user membership: it
 * goes to `onNested` (added or removed), and other member types (devices, contacts) are skipped.
 */
export function toGroupRecords(value: Record<string, unknown>[], onNested: (parent: string, child: string, removed: boolean) => void = () => {}): VendorRecord[] {
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
      if (type === "#microsoft.graph.group") {
        onNested(id, String(link.id), removal(link) !== null);
        continue;
      }
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
