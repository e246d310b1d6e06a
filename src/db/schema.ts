// The drizzle schema for both PGlite and Postgres; drizzle-kit generates migrations/ from it.
// Table ownership (who may query what) is by module: see the header of each owner.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/** Postgres' 64-bit transaction id; events are readable only once every older writer has finished. */
const xid8 = customType<{ data: string; driverData: string }>({
  dataType: () => "xid8",
});

/**
 * JSON kept as text: written once, read whole, never queried inside. Postgres then stores the text as
 * written, without parsing it to check it (json would, ~5 us per 2.4 KB membership event).
 */
const jsonText = <T>(name: string) =>
  customType<{ data: T; driverData: string }>({
    dataType: () => "text",
    toDriver: (value) => JSON.stringify(value),
    fromDriver: (value) => JSON.parse(value) as T,
  })(name);

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull();
const updatedAt = () => timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull();

/** Operator API keys, stored as SHA-256 hashes (the key itself is shown once). Owner: auth. */
export const apiKeys = pgTable("api_keys", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  keyHash: text("key_hash").notNull().unique(),
  lastFour: text("last_four").notNull(),
  createdAt: createdAt(),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
});

/** A stored organization domain, rendered as an organization_domain object. */
export interface StoredDomain {
  id: string;
  domain: string;
  state: "verified" | "pending";
  created_at: string;
}

/** Customer tenants. Owner: tenancy. */
export const organizations = pgTable(
  "organizations",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    externalId: text("external_id"),
    metadata: jsonb("metadata").$type<Record<string, string>>().notNull().default({}),
    domains: jsonb("domains").$type<StoredDomain[]>().notNull().default([]),
    allowProfilesOutsideOrganization: boolean("allow_profiles_outside_organization").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("organizations_external_id_key").on(t.externalId)],
);

/** A directory's role mapping as stored: rules by group id, lowest priority number first. */
export interface StoredRoleMapping {
  default_role: string | null;
  rules: { group_id: string; role_slug: string; priority: number }[];
}

/**
 * IdP connections. Owner: tenancy (create, read) and sync (state changes, deletion, event_seq).
 * event_seq is the last per-directory event sequence number handed out.
 */
export const directories = pgTable(
  "directories",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "restrict" }),
    type: text("type").notNull(),
    name: text("name").notNull(),
    state: text("state").notNull(),
    domain: text("domain"),
    eventSeq: bigint("event_seq", { mode: "number" }).notNull().default(0),
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    /** Attribute-mapping overrides merged on top of the type's preset (normalize/mapping.ts MappingOverride). */
    attributeMapping: jsonb("attribute_mapping").$type<Record<string, unknown>>().notNull().default({}),
    /** Role mapping (normalize/role-mapping.ts RoleMapping); null when the directory has none. */
    roleMapping: jsonb("role_mapping").$type<StoredRoleMapping | null>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("directories_organization_idx").on(t.organizationId, t.id)],
);

/**
 * Directory users. Owner: sync (reconcile is the only writer).
 * The table also has `api_version` (migration 0006), deliberately not mapped here (rows are built
 * without it): the number of the row's current rendering (dsync_user_json, the user as the API shows
 * it), new on every write of a rendered column. Events show a user as of a version (see events); a
 * superseded rendering is kept in renderingHistory.
 */
export const directoryUsers = pgTable(
  "directory_users",
  {
    id: text("id").primaryKey(),
    directoryId: text("directory_id")
      .notNull()
      .references(() => directories.id, { onDelete: "cascade" }),
    organizationId: text("organization_id").notNull(),
    idpId: text("idp_id").notNull(),
    firstName: text("first_name"),
    lastName: text("last_name"),
    name: text("name"),
    email: text("email"),
    emails: jsonb("emails").$type<{ primary: boolean; type: string | null; value: string }[]>().notNull(),
    username: text("username"),
    jobTitle: text("job_title"),
    state: text("state").$type<"active" | "inactive">().notNull(),
    customAttributes: jsonb("custom_attributes").$type<Record<string, unknown>>().notNull(),
    rawAttributes: jsonb("raw_attributes").$type<Record<string, unknown>>().notNull(),
    role: jsonb("role").$type<{ slug: string } | null>(),
    /** The snapshot run that last saw this row; rows a finished snapshot did not see are deleted. */
    syncMark: text("sync_mark"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("directory_users_idp_key").on(t.directoryId, t.idpId),
    index("directory_users_directory_idx").on(t.directoryId, t.id),
    index("directory_users_organization_idx").on(t.organizationId, t.id),
    // SCIM lookups (userName is case-insensitive, RFC 7643 §4.1.1; externalId as the IdP sent it).
    index("directory_users_username_idx").on(t.directoryId, sql`lower(${t.username})`),
    index("directory_users_external_id_idx").on(t.directoryId, sql`(${t.rawAttributes} ->> 'externalId')`),
  ],
);

/** Directory groups. Owner: sync. Has an unmapped `api_version`, as directory_users (rendering dsync_group_json). */
export const directoryGroups = pgTable(
  "directory_groups",
  {
    id: text("id").primaryKey(),
    directoryId: text("directory_id")
      .notNull()
      .references(() => directories.id, { onDelete: "cascade" }),
    organizationId: text("organization_id").notNull(),
    idpId: text("idp_id").notNull(),
    name: text("name").notNull(),
    rawAttributes: jsonb("raw_attributes").$type<Record<string, unknown>>().notNull(),
    syncMark: text("sync_mark"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("directory_groups_idp_key").on(t.directoryId, t.idpId),
    index("directory_groups_directory_idx").on(t.directoryId, t.id),
    index("directory_groups_organization_idx").on(t.organizationId, t.id),
    // SCIM lookups by displayName (case-insensitive, RFC 7643 §4.2).
    index("directory_groups_name_idx").on(t.directoryId, sql`lower(${t.name})`),
  ],
);

/**
 * Group membership edges. Owner: sync. No foreign keys: their per-row checks were the largest cost of
 * a bulk membership insert (three lookups per edge, measured ~50 µs of ~130 µs). Reconcile, the only
 * writer, works under the directory's lock and deletes a user's, group's or directory's edges with
 * it (reconcile.ts), which test/reconcile.test.ts checks leaves no edge behind.
 */
export const groupMemberships = pgTable(
  "group_memberships",
  {
    directoryId: text("directory_id").notNull(),
    groupId: text("group_id").notNull(),
    userId: text("user_id").notNull(),
    syncMark: text("sync_mark"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index("group_memberships_user_idx").on(t.userId)],
);

/**
 * The event log and transactional outbox. Owner: sync.
 * Feed order is (txid, position): a reader sees only rows whose txid is below the oldest running
 * writer, so a row can never appear behind a cursor that has already passed it.
 * No foreign key to directories: a deleted directory's events (dsync.deleted last) stay readable.
 *
 * A payload is stored in `data`, or, for the events that only show a user and a group as they stood
 * (dsync.user.created and the membership events, most of a directory's first sync), as references:
 * the user's and the group's ids and a point in the renderings' sequence (renderedAsOf). The
 * rendering shown is each one's latest api_version at or before that point (see renderingHistory).
 * Readers render the payload (sync/events.ts, eventPayload), so a directory's first sync stores small
 * rows instead of a copy of a user per membership.
 */
export const events = pgTable(
  "events",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id").notNull(),
    directoryId: text("directory_id").notNull(),
    directorySeq: bigint("directory_seq", { mode: "number" }).notNull(),
    event: text("event").notNull(),
    // Text (jsonText): payloads are serialized once by DirectoryWrite, valid JSON by construction.
    data: jsonText<Record<string, unknown>>("data"),
    /** For a payload stored by reference: the user and group it shows, as they stood at renderedAsOf. */
    userId: text("user_id"),
    groupId: text("group_id"),
    renderedAsOf: bigint("rendered_as_of", { mode: "number" }),
    createdAt: createdAt(),
    txid: xid8("txid")
      .notNull()
      .default(sql`pg_current_xact_id()`),
    position: bigserial("position", { mode: "number" }).notNull(),
  },
  (t) => [
    uniqueIndex("events_directory_seq_key").on(t.directoryId, t.directorySeq),
    index("events_feed_idx").on(t.txid, t.position),
    index("events_organization_feed_idx").on(t.organizationId, t.txid, t.position),
    // BRIN: rows arrive in time order, so block ranges serve range_start / range_end, and an insert
    // costs next to nothing (a btree here was one of five per event).
    index("events_created_at_idx").using("brin", t.createdAt),
    check("events_payload_check", sql`${t.data} is not null or (${t.userId} is not null and ${t.renderedAsOf} is not null)`),
  ],
);

/**
 * Renderings of users and groups that are no longer current (the row changed or was deleted), by
 * the row's id and api_version, kept for the events that show them. Written by triggers (migration
 * 0006) only. Owner: sync.
 */
export const renderingHistory = pgTable(
  "rendering_history",
  {
    id: text("id").notNull(),
    version: bigint("version", { mode: "number" }).notNull(),
    directoryId: text("directory_id").notNull(),
    apiJson: text("api_json").notNull(),
  },
  (t) => [primaryKey({ columns: [t.id, t.version] })],
);


// ---------------------------------------------------------------------------------------------
// Webhooks. Owner: webhooks (src/webhooks/endpoints.ts and the delivery modules beside it).
// ---------------------------------------------------------------------------------------------

/**
 * Where the operator wants events delivered. The signing secret is stored encrypted (secret-box),
 * because signing needs it back; the previous one stays valid for 24 h after a rotation.
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    url: text("url").notNull(),
    /** Event types to deliver; null means every type. */
    events: jsonb("events").$type<string[] | null>(),
    /** Deliver only this organization's events; null means every organization. */
    organizationId: text("organization_id"),
    enabled: boolean("enabled").notNull().default(true),
    /** Why the gateway disabled it ("gone" on 410, "failing" after a run of failures); null when the operator did. */
    disabledReason: text("disabled_reason"),
    workosSignature: boolean("workos_signature").notNull().default(false),
    secretCiphertext: text("secret_ciphertext").notNull(),
    previousSecretCiphertext: text("previous_secret_ciphertext"),
    previousSecretExpiresAt: timestamp("previous_secret_expires_at", { withTimezone: true, mode: "date" }),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    failingSince: timestamp("failing_since", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
);

/**
 * One event owed to one endpoint. Due when pending, next_attempt_at has passed, no live lease holds
 * it, and no earlier pending delivery exists for the same (endpoint, resource_key): per-resource order.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    /** The user, group or directory the event is about; deliveries with the same key go in order. */
    resourceKey: text("resource_key").notNull(),
    /** The event's feed position: the order within one resource's queue. */
    orderKey: bigint("order_key", { mode: "number" }).notNull(),
    /** 0 = deprovisioning lane, 1 = everything else; claimed lowest first. */
    priority: integer("priority").notNull(),
    state: text("state").$type<"pending" | "delivered" | "failed">().notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, mode: "date" }).notNull(),
    /** Lease: a worker that claimed the row owns it until then; a crashed worker's claims are retaken after. */
    lockedUntil: timestamp("locked_until", { withTimezone: true, mode: "date" }),
    claimToken: text("claim_token"),
    lastStatus: integer("last_status"),
    deliveredAt: timestamp("delivered_at", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_endpoint_event_key").on(t.endpointId, t.eventId),
    // The claim scan: pending rows in lane order.
    index("webhook_deliveries_due_idx").on(t.priority, t.nextAttemptAt).where(sql`${t.state} = 'pending'`),
    // Makes "is there an earlier pending delivery for this resource?" one index probe.
    index("webhook_deliveries_resource_queue_idx").on(t.endpointId, t.resourceKey, t.orderKey).where(sql`${t.state} = 'pending'`),
  ],
);

/** Every HTTP attempt, for the per-endpoint delivery log. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: text("id").primaryKey(),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    endpointId: text("endpoint_id").notNull(),
    eventId: text("event_id").notNull(),
    attempt: integer("attempt").notNull(),
    attemptedAt: timestamp("attempted_at", { withTimezone: true, mode: "date" }).notNull(),
    /** HTTP status; null when no response came (timeout, refused connection, refused address). */
    statusCode: integer("status_code"),
    latencyMs: integer("latency_ms").notNull(),
    responseSnippet: text("response_snippet"),
    error: text("error"),
    /** When the next try is scheduled; null once delivered or given up. */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("webhook_attempts_endpoint_idx").on(t.endpointId, t.id)],
);

/** The dispatcher's place in the settled event feed (one row, id "default"), locked while fanning out. */
export const webhookDispatchCursor = pgTable("webhook_dispatch_cursor", {
  id: text("id").primaryKey(),
  txid: xid8("txid").notNull(),
  position: bigint("position", { mode: "number" }).notNull(),
  updatedAt: updatedAt(),
});

// ---------------------------------------------------------------------------------------------
// SCIM server. Owner: scim (src/scim/auth.ts owns scim_tokens, src/scim/request-log.ts scim_requests).
// ---------------------------------------------------------------------------------------------

/** The bearer token of a SCIM directory, stored as a SHA-256 hash (shown once, at creation or rotation). */
export const scimTokens = pgTable("scim_tokens", {
  directoryId: text("directory_id")
    .primaryKey()
    .references(() => directories.id, { onDelete: "cascade" }),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: createdAt(),
});

/**
 * One SCIM request as the live sync log shows it: never a token or a body. No foreign key, so the
 * batched log writer never fails on a directory deleted meanwhile.
 */
export const scimRequests = pgTable(
  "scim_requests",
  {
    id: text("id").primaryKey(),
    directoryId: text("directory_id").notNull(),
    organizationId: text("organization_id").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    status: integer("status").notNull(),
    durationMs: integer("duration_ms").notNull(),
    error: text("error"),
    createdAt: createdAt(),
  },
  (t) => [index("scim_requests_directory_idx").on(t.directoryId, t.id)],
);

// ---------------------------------------------------------------------------------------------
// Pull sync. Owner: sync (src/sync/pull-directories.ts owns pull_directories, src/sync/sync-runs.ts
// owns sync_runs). Connector credentials are stored encrypted (secret-box) and never returned.
// ---------------------------------------------------------------------------------------------

/**
 * One pull directory's connection and schedule: encrypted credentials, settings, the saved delta
 * cursor, when each kind of run is next due, and the lease that lets one worker at a time sync it.
 */
export const pullDirectories = pgTable(
  "pull_directories",
  {
    directoryId: text("directory_id")
      .primaryKey()
      .references(() => directories.id, { onDelete: "cascade" }),
    organizationId: text("organization_id").notNull(),
    credentialsCiphertext: text("credentials_ciphertext"),
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    /** When the credentials or settings were last stored: a test run older than this tested something else. */
    connectionSavedAt: timestamp("connection_saved_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** Why the directory is invalid_credentials (or why its last check failed); null when fine. */
    stateReason: text("state_reason"),
    /** The connector's resume point for incremental runs; written only after a whole round applied. */
    cursor: text("cursor"),
    nextIncrementalAt: timestamp("next_incremental_at", { withTimezone: true, mode: "date" }),
    nextFullAt: timestamp("next_full_at", { withTimezone: true, mode: "date" }),
    /** Lease: the worker holding it runs this directory's sync until lease_expires_at (renewed per page). */
    leaseHolder: text("lease_holder"),
    leaseRunId: text("lease_run_id"),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("pull_directories_due_idx").on(t.nextIncrementalAt)],
);

/** One sync run of a pull directory, as GET /directories/:id/sync_runs lists it. */
export const syncRuns = pgTable(
  "sync_runs",
  {
    id: text("id").primaryKey(),
    directoryId: text("directory_id")
      .notNull()
      .references(() => directories.id, { onDelete: "cascade" }),
    organizationId: text("organization_id").notNull(),
    /** full | incremental */
    kind: text("kind").notNull(),
    /** schedule | manual */
    trigger: text("trigger").notNull(),
    dryRun: boolean("dry_run").notNull().default(false),
    /** running | succeeded | failed | needs_confirmation | rejected | abandoned */
    status: text("status").notNull(),
    usersSeen: integer("users_seen").notNull().default(0),
    groupsSeen: integer("groups_seen").notNull().default(0),
    created: integer("created").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    deleted: integer("deleted").notNull().default(0),
    /** Per-kind counts (users, groups, memberships) for operators. */
    counts: jsonb("counts").$type<Record<string, unknown>>().notNull().default({}),
    errors: jsonb("errors").$type<{ message: string; at: string }[]>().notNull().default([]),
    /** What a run held for confirmation would delete, or what a dry run would emit. */
    preview: jsonb("preview").$type<Record<string, unknown> | null>(),
    /** The snapshot mark a run pending confirmation resumes its sweep with. */
    snapshotMark: text("snapshot_mark"),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("sync_runs_directory_idx").on(t.directoryId, t.id)],
);

// ---------------------------------------------------------------- admin portal (owner: portal)

/** Single-use setup links an app's backend generates for a customer's IT admin; stored hashed. */
export const portalLinks = pgTable("portal_links", {
  id: text("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  organizationId: text("organization_id")
    .notNull()
    .references(() => organizations.id, { onDelete: "cascade" }),
  intent: text("intent").notNull(),
  returnUrl: text("return_url"),
  successUrl: text("success_url"),
  createdAt: createdAt(),
  expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true, mode: "date" }),
});

/** Portal sessions: one organization each, idle and absolute expiry; the cookie value is stored hashed. */
export const portalSessions = pgTable(
  "portal_sessions",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull().unique(),
    linkId: text("link_id").notNull(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    csrfToken: text("csrf_token").notNull(),
    returnUrl: text("return_url"),
    successUrl: text("success_url"),
    createdAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true, mode: "date" }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("portal_sessions_organization_idx").on(t.organizationId)],
);

/** The operator's branding of the portal: one row. */
export const portalBranding = pgTable("portal_branding", {
  id: text("id").primaryKey(),
  appName: text("app_name").notNull(),
  logoUrl: text("logo_url"),
  accentColor: text("accent_color").notNull(),
  updatedAt: updatedAt(),
});

/** Every action an IT admin takes in the portal: who (session), what, when. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id").notNull(),
    actor: jsonb("actor").$type<{ type: "portal_session"; id: string; ip: string | null; user_agent: string | null }>().notNull(),
    action: text("action").notNull(),
    targetId: text("target_id"),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index("audit_events_organization_idx").on(t.organizationId, t.id)],
);

// The whole schema, for drizzle's relational queries; kept last so every table above is declared.
export const schema = { apiKeys, organizations, directories, directoryUsers, directoryGroups, groupMemberships, events, webhookEndpoints, webhookDeliveries, webhookAttempts, webhookDispatchCursor, scimTokens, scimRequests, pullDirectories, syncRuns, portalLinks, portalSessions, portalBranding, auditEvents };
