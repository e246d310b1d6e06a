CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"key_hash" text NOT NULL,
	"last_four" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "directories" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"type" text NOT NULL,
	"name" text NOT NULL,
	"state" text NOT NULL,
	"domain" text,
	"event_seq" bigint DEFAULT 0 NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "directory_groups" (
	"id" text PRIMARY KEY NOT NULL,
	"directory_id" text NOT NULL,
	"organization_id" text NOT NULL,
	"idp_id" text NOT NULL,
	"name" text NOT NULL,
	"raw_attributes" jsonb NOT NULL,
	"sync_mark" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "directory_users" (
	"id" text PRIMARY KEY NOT NULL,
	"directory_id" text NOT NULL,
	"organization_id" text NOT NULL,
	"idp_id" text NOT NULL,
	"first_name" text,
	"last_name" text,
	"name" text,
	"email" text,
	"emails" jsonb NOT NULL,
	"username" text,
	"job_title" text,
	"state" text NOT NULL,
	"custom_attributes" jsonb NOT NULL,
	"raw_attributes" jsonb NOT NULL,
	"role" jsonb,
	"sync_mark" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"directory_id" text NOT NULL,
	"directory_seq" bigint NOT NULL,
	"event" text NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"txid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"position" bigserial NOT NULL
);
--> statement-breakpoint
CREATE TABLE "group_memberships" (
	"directory_id" text NOT NULL,
	"group_id" text NOT NULL,
	"user_id" text NOT NULL,
	"sync_mark" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "group_memberships_group_id_user_id_pk" PRIMARY KEY("group_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"external_id" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"domains" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"allow_profiles_outside_organization" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "directories" ADD CONSTRAINT "directories_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_groups" ADD CONSTRAINT "directory_groups_directory_id_directories_id_fk" FOREIGN KEY ("directory_id") REFERENCES "public"."directories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "directory_users" ADD CONSTRAINT "directory_users_directory_id_directories_id_fk" FOREIGN KEY ("directory_id") REFERENCES "public"."directories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_directory_id_directories_id_fk" FOREIGN KEY ("directory_id") REFERENCES "public"."directories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_group_id_directory_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."directory_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_user_id_directory_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."directory_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "directories_organization_idx" ON "directories" USING btree ("organization_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "directory_groups_idp_key" ON "directory_groups" USING btree ("directory_id","idp_id");--> statement-breakpoint
CREATE INDEX "directory_groups_directory_idx" ON "directory_groups" USING btree ("directory_id","id");--> statement-breakpoint
CREATE INDEX "directory_groups_organization_idx" ON "directory_groups" USING btree ("organization_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "directory_users_idp_key" ON "directory_users" USING btree ("directory_id","idp_id");--> statement-breakpoint
CREATE INDEX "directory_users_directory_idx" ON "directory_users" USING btree ("directory_id","id");--> statement-breakpoint
CREATE INDEX "directory_users_organization_idx" ON "directory_users" USING btree ("organization_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "events_directory_seq_key" ON "events" USING btree ("directory_id","directory_seq");--> statement-breakpoint
CREATE INDEX "events_feed_idx" ON "events" USING btree ("txid","position");--> statement-breakpoint
CREATE INDEX "events_organization_feed_idx" ON "events" USING btree ("organization_id","txid","position");--> statement-breakpoint
CREATE INDEX "events_created_at_idx" ON "events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "group_memberships_user_idx" ON "group_memberships" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "organizations_external_id_key" ON "organizations" USING btree ("external_id");