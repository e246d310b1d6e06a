CREATE TABLE "rendering_history" (
	"id" text NOT NULL,
	"version" bigint NOT NULL,
	"directory_id" text NOT NULL,
	"api_json" text NOT NULL,
	CONSTRAINT "rendering_history_id_version_pk" PRIMARY KEY("id","version")
);
--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "data" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "user_id" text;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "group_id" text;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "rendered_as_of" bigint;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_payload_check" CHECK ("events"."data" is not null or ("events"."user_id" is not null and "events"."rendered_as_of" is not null));--> statement-breakpoint
-- Each rendering of a user or group gets a number from one sequence (api_version), set by the same
-- triggers that render api_json (0003). An event that shows a user or group as it stood names the row
-- and a point in that sequence: the rendering shown is the row's latest version at or before it. When
-- the row changes or goes, its superseded rendering moves to rendering_history, so the event still
-- renders as written.
CREATE SEQUENCE "rendering_version_seq";--> statement-breakpoint
ALTER TABLE "directory_users" ADD COLUMN "api_version" bigint;--> statement-breakpoint
ALTER TABLE "directory_groups" ADD COLUMN "api_version" bigint;--> statement-breakpoint
CREATE OR REPLACE FUNCTION dsync_render_directory_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.api_json := json_build_object(
    'object', 'directory_user', 'id', NEW.id, 'idp_id', NEW.idp_id, 'first_name', NEW.first_name,
    'last_name', NEW.last_name, 'name', NEW.name, 'email', NEW.email, 'emails', NEW.emails,
    'username', NEW.username, 'job_title', NEW.job_title, 'state', NEW.state,
    'custom_attributes', NEW.custom_attributes, 'raw_attributes', NEW.raw_attributes, 'role', NEW.role,
    'directory_id', NEW.directory_id, 'organization_id', NEW.organization_id,
    'created_at', to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(NEW.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text;
  NEW.api_version := nextval('rendering_version_seq');
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION dsync_render_directory_group() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.api_json := json_build_object(
    'object', 'directory_group', 'id', NEW.id, 'idp_id', NEW.idp_id, 'name', NEW.name,
    'raw_attributes', NEW.raw_attributes, 'directory_id', NEW.directory_id, 'organization_id', NEW.organization_id,
    'created_at', to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(NEW.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text;
  NEW.api_version := nextval('rendering_version_seq');
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE FUNCTION dsync_keep_superseded_rendering() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "rendering_history" ("id", "version", "directory_id", "api_json") VALUES (OLD.id, OLD.api_version, OLD.directory_id, OLD.api_json);
  RETURN NULL;
END $$;--> statement-breakpoint
-- WHEN is checked without entering plpgsql: updates that render nothing new (sync_mark) cost nothing.
CREATE TRIGGER directory_users_superseded AFTER UPDATE ON "directory_users" FOR EACH ROW
  WHEN (OLD.api_version IS DISTINCT FROM NEW.api_version AND OLD.api_version IS NOT NULL)
  EXECUTE FUNCTION dsync_keep_superseded_rendering();--> statement-breakpoint
CREATE TRIGGER directory_users_removed AFTER DELETE ON "directory_users" FOR EACH ROW
  WHEN (OLD.api_version IS NOT NULL) EXECUTE FUNCTION dsync_keep_superseded_rendering();--> statement-breakpoint
CREATE TRIGGER directory_groups_superseded AFTER UPDATE ON "directory_groups" FOR EACH ROW
  WHEN (OLD.api_version IS DISTINCT FROM NEW.api_version AND OLD.api_version IS NOT NULL)
  EXECUTE FUNCTION dsync_keep_superseded_rendering();--> statement-breakpoint
CREATE TRIGGER directory_groups_removed AFTER DELETE ON "directory_groups" FOR EACH ROW
  WHEN (OLD.api_version IS NOT NULL) EXECUTE FUNCTION dsync_keep_superseded_rendering();--> statement-breakpoint
UPDATE "directory_users" SET "updated_at" = "updated_at";--> statement-breakpoint
UPDATE "directory_groups" SET "updated_at" = "updated_at";
