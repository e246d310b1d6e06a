ALTER TABLE "group_memberships" DROP CONSTRAINT "group_memberships_directory_id_directories_id_fk";
--> statement-breakpoint
ALTER TABLE "group_memberships" DROP CONSTRAINT "group_memberships_group_id_directory_groups_id_fk";
--> statement-breakpoint
ALTER TABLE "group_memberships" DROP CONSTRAINT "group_memberships_user_id_directory_users_id_fk";
--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "data" SET DATA TYPE json USING "data"::json;--> statement-breakpoint
-- Users and groups as the API renders them (src/sync/render.ts: toDirectoryUser without groups,
-- toDirectoryGroup), as JSON text kept by triggers: membership events splice these in, so a batch
-- of thousands of edges renders nothing per event. test/render-sql.test.ts holds them equal.
ALTER TABLE "directory_users" ADD COLUMN "api_json" text;--> statement-breakpoint
ALTER TABLE "directory_groups" ADD COLUMN "api_json" text;--> statement-breakpoint
CREATE FUNCTION dsync_render_directory_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.api_json := json_build_object(
    'object', 'directory_user', 'id', NEW.id, 'idp_id', NEW.idp_id, 'first_name', NEW.first_name,
    'last_name', NEW.last_name, 'name', NEW.name, 'email', NEW.email, 'emails', NEW.emails,
    'username', NEW.username, 'job_title', NEW.job_title, 'state', NEW.state,
    'custom_attributes', NEW.custom_attributes, 'raw_attributes', NEW.raw_attributes, 'role', NEW.role,
    'directory_id', NEW.directory_id, 'organization_id', NEW.organization_id,
    'created_at', to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(NEW.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text;
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE FUNCTION dsync_render_directory_group() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.api_json := json_build_object(
    'object', 'directory_group', 'id', NEW.id, 'idp_id', NEW.idp_id, 'name', NEW.name,
    'raw_attributes', NEW.raw_attributes, 'directory_id', NEW.directory_id, 'organization_id', NEW.organization_id,
    'created_at', to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(NEW.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text;
  RETURN NEW;
END $$;--> statement-breakpoint
-- Not on updates that set only sync_mark (a snapshot marking what it saw): nothing rendered changes.
CREATE TRIGGER directory_users_render BEFORE INSERT OR UPDATE OF id, idp_id, first_name, last_name, name, email, emails,
  username, job_title, state, custom_attributes, raw_attributes, role, directory_id, organization_id, created_at, updated_at
  ON "directory_users" FOR EACH ROW EXECUTE FUNCTION dsync_render_directory_user();--> statement-breakpoint
CREATE TRIGGER directory_groups_render BEFORE INSERT OR UPDATE OF id, idp_id, name, raw_attributes, directory_id,
  organization_id, created_at, updated_at
  ON "directory_groups" FOR EACH ROW EXECUTE FUNCTION dsync_render_directory_group();--> statement-breakpoint
UPDATE "directory_users" SET "updated_at" = "updated_at";--> statement-breakpoint
UPDATE "directory_groups" SET "updated_at" = "updated_at";
