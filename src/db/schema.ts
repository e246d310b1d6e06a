// The drizzle schema for both PGlite and Postgres; drizzle-kit generates migrations/ from it.
// Table ownership (who may query what) is by module: see the header of each owner.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  customType,
  index,
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
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("directories_organization_idx").on(t.organizationId, t.id)],
);

/** Directory users. Owner: sync (reconcile is the only writer). */
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
  ],
);

/** Directory groups. Owner: sync. */
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
  ],
);

/** Group membership edges. Owner: sync. */
export const groupMemberships = pgTable(
  "group_memberships",
  {
    directoryId: text("directory_id")
      .notNull()
      .references(() => directories.id, { onDelete: "cascade" }),
    groupId: text("group_id")
      .notNull()
      .references(() => directoryGroups.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => directoryUsers.id, { onDelete: "cascade" }),
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
 */
export const events = pgTable(
  "events",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id").notNull(),
    directoryId: text("directory_id").notNull(),
    directorySeq: bigint("directory_seq", { mode: "number" }).notNull(),
    event: text("event").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
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
    index("events_created_at_idx").on(t.createdAt),
  ],
);

export const schema = { apiKeys, organizations, directories, directoryUsers, directoryGroups, groupMemberships, events };
