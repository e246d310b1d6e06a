// A Google Workspace Admin SDK Directory API emulator faithful to idp-apis.md §2: the JWT-bearer
// token exchange, bearer checks with expiring tokens, users / groups / members lists with Google's
// caps and 3-day page tokens, users.watch channels, queued throttling, a fake clock and a request log.
// Tests drive it in-process (`app.request` or a real port); it never talks to Google.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { Hono, type Context } from "hono";
import { type ApiContext, type ApiEnv, googleJson, requireAdmin, SortedLists } from "./api.js";
import { OAuthError, type ServiceAccountSeed, TokenIssuer, DEFAULT_DELEGATED_SCOPES } from "./auth.js";
import { ChannelRegistry, type DeliveredNotification, type UserWatchEvent } from "./channels.js";
import {
  type CustomSchemaDef,
  type GoogleGroupSeed,
  type GoogleUserSeed,
  type MemberSeed,
  GoogleDirectory,
} from "./directory.js";
import { GoogleApiError, THROTTLE_DEFAULT_STATUS, type ThrottleReason, throttleError } from "./errors.js";
import { type GenerateOptions, type GeneratedSummary, generateDirectory } from "./generate.js";
import { controlRoutes } from "./control-routes.js";
import { groupsRoutes } from "./groups-routes.js";
import { reportsRoutes } from "./reports-routes.js";
import { usersRoutes } from "./users-routes.js";

export interface GoogleEmulatorOptions {
  customerId?: string;
  domains?: string[];
  /** The service account the token endpoint accepts (default: any issuer, unsigned checks). */
  serviceAccount?: ServiceAccountSeed;
  tokenLifetimeSeconds?: number;
  /** Origin written into resourceUri values; Google's own by default. */
  publicBaseUrl?: string;
  /** Oldest requests are dropped beyond this many (a 100,000-user scan makes thousands). */
  maxRecordedRequests?: number;
  /** Used to deliver watch notifications. */
  fetch?: typeof fetch;
  /**
   * Refuse a non-admin `sub` at the token endpoint with invalid_grant (idp-apis §2.7's strict
   * reading). By default, as in Google, any existing user gets a token and the API calls answer
   * 403 "Not Authorized to access this resource/api" (§2.1).
   */
  adminSubjectsOnly?: boolean;
  /** Audit events show up in the Reports API only this long after they happen (default 0). */
  reportsLagMs?: number;
}

/** A request the emulator received, for assertions on paths, parameters and headers. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Emulator clock, ms. */
  at: number;
}

/** Directory contents to seed in one call; groups are created before any member is added. */
export interface GoogleSeed {
  users?: GoogleUserSeed[];
  deletedUsers?: Array<GoogleUserSeed & { deletionTime?: string }>;
  groups?: Array<GoogleGroupSeed & { members?: MemberSeed[] }>;
  schemas?: CustomSchemaDef[];
}

interface QueuedFailure {
  reason: ThrottleReason;
  status: number;
  remaining: number;
  path?: string;
}

export class GoogleEmulator {
  readonly dir: GoogleDirectory;
  readonly tokens: TokenIssuer;
  readonly channels: ChannelRegistry;
  readonly app = new Hono();
  readonly requests: RecordedRequest[] = [];
  publicBaseUrl: string;
  reportsLagMs: number;
  private offsetMs = 0;
  private failures: QueuedFailure[] = [];
  private readonly maxRecorded: number;

  constructor(options: GoogleEmulatorOptions = {}) {
    const clock = { now: () => this.now() };
    this.dir = new GoogleDirectory(clock, {
      ...(options.customerId ? { customerId: options.customerId } : {}),
      ...(options.domains ? { domains: options.domains } : {}),
    });
    const acceptsSubject = (sub: string) => {
      const user = this.dir.findUser(sub);
      return user !== undefined && (!options.adminSubjectsOnly || !!(user.fields.isAdmin || user.fields.isDelegatedAdmin));
    };
    this.tokens = new TokenIssuer(options.serviceAccount ?? {}, clock.now, acceptsSubject, options.tokenLifetimeSeconds);
    this.channels = new ChannelRegistry(clock.now, options.fetch ?? fetch);
    this.publicBaseUrl = options.publicBaseUrl ?? "https://admin.googleapis.com";
    this.maxRecorded = options.maxRecordedRequests ?? 10_000;
    this.reportsLagMs = options.reportsLagMs ?? 0;
    this.mount();
  }

  // ---- control surface -----------------------------------------------------------------------

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves the fake clock forward: access tokens, page tokens and channels expire against it. */
  advanceClock(ms: number): void {
    this.offsetMs += ms;
  }

  /** The next `count` API requests (optionally only those whose path contains `path`) fail with `reason`. */
  throttle(reason: ThrottleReason, count = 1, options: { status?: number; path?: string } = {}): void {
    const failure: QueuedFailure = { reason, status: options.status ?? THROTTLE_DEFAULT_STATUS[reason], remaining: count };
    if (options.path !== undefined) failure.path = options.path;
    this.failures.push(failure);
  }

  /** Failures still queued. */
  pendingFailures(): number {
    return this.failures.reduce((n, f) => n + f.remaining, 0);
  }

  /** Mints an access token without the JWT exchange (for an OAuth2Client holding a ready token). */
  issueToken(subject: string, scopes: readonly string[] = DEFAULT_DELEGATED_SCOPES, lifetimeSeconds?: number): string {
    return this.tokens.issue(subject, scopes, lifetimeSeconds);
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** API requests (not /token, not control routes) whose path starts with `prefix`. */
  apiRequests(prefix = "/admin/"): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix));
  }

  /** Seeded objects are the directory's starting state, so they leave no audit events. */
  seed(input: GoogleSeed): void {
    const recording = this.dir.recordActivities;
    this.dir.recordActivities = false;
    try {
      this.seedObjects(input);
    } finally {
      this.dir.recordActivities = recording;
    }
  }

  private seedObjects(input: GoogleSeed): void {
    for (const s of input.schemas ?? []) this.dir.defineSchema(s);
    for (const u of input.users ?? []) this.dir.addUser(u);
    for (const { deletionTime, ...u } of input.deletedUsers ?? []) this.dir.addDeletedUser(u, deletionTime ?? new Date(this.now()).toISOString());
    for (const { members: _, ...g } of input.groups ?? []) this.dir.addGroup(g);
    for (const g of input.groups ?? []) for (const m of g.members ?? []) this.dir.addMember(g.email, m);
  }

  generate(options: GenerateOptions): GeneratedSummary {
    return generateDirectory(this.dir, options);
  }

  /** Sends `event` for a user to the live watch channels (a `sync` message first on each). */
  notify(event: UserWatchEvent, userKey: string): Promise<DeliveredNotification[]> {
    const user = this.dir.findUser(userKey) ?? this.dir.findDeletedUser(userKey);
    if (!user) throw new Error(`no user ${userKey}`);
    return this.channels.notify(event, { id: user.id, etag: this.dir.etag("user", user.id, user.version), primaryEmail: user.fields.primaryEmail });
  }

  // ---- routes --------------------------------------------------------------------------------

  private mount(): void {
    const ctx: ApiContext = {
      dir: this.dir,
      channels: this.channels,
      now: () => this.now(),
      publicBaseUrl: () => this.publicBaseUrl,
      sorted: new SortedLists(this.dir),
    };
    const app = this.app;
    app.onError((err) => {
      if (err instanceof GoogleApiError) return googleJson(err.toBody(), err.code);
      if (err instanceof OAuthError) return googleJson({ error: err.error, error_description: err.description }, err.status);
      return googleJson(new GoogleApiError(500, "backendError", "Internal Error").toBody(), 500);
    });
    app.notFound(() => googleJson(new GoogleApiError(404, "notFound", "Not Found").toBody(), 404));

    app.use("*", async (c, next) => {
      if (!c.req.path.startsWith("/__emulator")) this.record(c);
      await next();
    });

    app.post("/token", async (c) => {
      const type = c.req.header("content-type") ?? "";
      const form = type.includes("json")
        ? ((await c.req.json().catch(() => ({}))) as Record<string, string>)
        : Object.fromEntries(new URLSearchParams(await c.req.text()));
      return googleJson(this.tokens.exchange(form));
    });

    const api = new Hono<ApiEnv>();
    api.use("/admin/*", async (c, next) => {
      const grant = this.tokens.authenticate(c.req.header("authorization"));
      requireAdmin(this.dir, grant);
      c.set("grant", grant);
      this.takeFailure(c.req.path);
      await next();
    });
    api.route("/", usersRoutes(ctx));
    api.route("/", groupsRoutes(ctx));
    api.route("/", reportsRoutes({ ...ctx, reportsLagMs: () => this.reportsLagMs }));
    app.route("/", api);
    app.route("/__emulator", controlRoutes(this));
  }

  private takeFailure(path: string): void {
    const failure = this.failures.find((f) => f.remaining > 0 && (f.path === undefined || path.includes(f.path)));
    if (!failure) return;
    failure.remaining--;
    this.failures = this.failures.filter((f) => f.remaining > 0);
    throw throttleError(failure.reason, failure.status);
  }

  private record(c: Context): void {
    const url = new URL(c.req.url);
    this.requests.push({
      method: c.req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(c.req.raw.headers),
      at: this.now(),
    });
    if (this.requests.length > this.maxRecorded) this.requests.splice(0, this.requests.length - this.maxRecorded);
  }
}

/** A Google service-account JSON key plus the public half the emulator verifies it with. */
export interface GeneratedServiceAccount {
  /** The JSON key file's fields, as the Google Cloud console issues them. */
  key: { type: "service_account"; project_id: string; private_key_id: string; private_key: string; client_email: string; client_id: string; token_uri: string };
  publicKeyPem: string;
}

export function generateServiceAccount(clientEmail = "dsync-reader@dsync-emulator.iam.gserviceaccount.com", tokenUri = "https://oauth2.googleapis.com/token"): GeneratedServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    key: {
      type: "service_account",
      project_id: "dsync-emulator",
      private_key_id: randomBytes(20).toString("hex"),
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      client_email: clientEmail,
      client_id: String(100000000000000000000n + BigInt(randomBytes(6).readUIntBE(0, 6))),
      token_uri: tokenUri,
    },
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}
