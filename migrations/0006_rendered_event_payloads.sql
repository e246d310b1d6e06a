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
-- Users and groups are no longer stored rendered (api_json, 0003): rendering each row on insert cost
-- about a third of a bulk insert. The renderings are SQL functions, used by readers of events and by
-- the triggers below. Each row has a number for its current rendering (api_version, from one
-- sequence): a default on insert, a new one on every update of a rendered column. An event that
-- shows a user or group as it stood names the row and a point in that sequence (rendered_as_of):
-- the rendering shown is the row's latest version at or before it. When the row changes or goes, its
-- superseded rendering is kept in rendering_history, so the event still renders as written.
DROP TRIGGER "directory_users_render" ON "directory_users";--> statement-breakpoint
DROP TRIGGER "directory_groups_render" ON "directory_groups";--> statement-breakpoint
DROP FUNCTION dsync_render_directory_user();--> statement-breakpoint
DROP FUNCTION dsync_render_directory_group();--> statement-breakpoint
ALTER TABLE "directory_users" DROP COLUMN "api_json";--> statement-breakpoint
ALTER TABLE "directory_groups" DROP COLUMN "api_json";--> statement-breakpoint
CREATE SEQUENCE "rendering_version_seq";--> statement-breakpoint
ALTER TABLE "directory_users" ADD COLUMN "api_version" bigint DEFAULT nextval('rendering_version_seq') NOT NULL;--> statement-breakpoint
ALTER TABLE "directory_groups" ADD COLUMN "api_version" bigint DEFAULT nextval('rendering_version_seq') NOT NULL;--> statement-breakpoint
-- toDirectoryUser without groups, and toDirectoryGroup (src/sync/render.ts), as JSON text;
-- test/render-sql.test.ts holds them equal.
CREATE FUNCTION dsync_user_json(u "directory_users") RETURNS text LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'object', 'directory_user', 'id', u.id, 'idp_id', u.idp_id, 'first_name', u.first_name,
    'last_name', u.last_name, 'name', u.name, 'email', u.email, 'emails', u.emails,
    'username', u.username, 'job_title', u.job_title, 'state', u.state,
    'custom_attributes', u.custom_attributes, 'raw_attributes', u.raw_attributes, 'role', u.role,
    'directory_id', u.directory_id, 'organization_id', u.organization_id,
    'created_at', to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(u.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text
$$;--> statement-breakpoint
CREATE FUNCTION dsync_group_json(g "directory_groups") RETURNS text LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'object', 'directory_group', 'id', g.id, 'idp_id', g.idp_id, 'name', g.name,
    'raw_attributes', g.raw_attributes, 'directory_id', g.directory_id, 'organization_id', g.organization_id,
    'created_at', to_char(g.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(g.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text
$$;--> statement-breakpoint
CREATE FUNCTION dsync_next_rendering() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.api_version := nextval('rendering_version_seq');
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE FUNCTION dsync_keep_user_rendering() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "rendering_history" ("id", "version", "directory_id", "api_json") VALUES (OLD.id, OLD.api_version, OLD.directory_id, dsync_user_json(OLD));
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION dsync_keep_group_rendering() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "rendering_history" ("id", "version", "directory_id", "api_json") VALUES (OLD.id, OLD.api_version, OLD.directory_id, dsync_group_json(OLD));
  RETURN NULL;
END $$;--> statement-breakpoint
-- Not on updates that set only sync_mark (a snapshot marking what it saw): nothing rendered changes.
CREATE TRIGGER directory_users_rendering BEFORE UPDATE OF id, idp_id, first_name, last_name, name, email, emails,
  username, job_title, state, custom_attributes, raw_attributes, role, directory_id, organization_id, created_at, updated_at
  ON "directory_users" FOR EACH ROW EXECUTE FUNCTION dsync_next_rendering();--> statement-breakpoint
CREATE TRIGGER directory_groups_rendering BEFORE UPDATE OF id, idp_id, name, raw_attributes, directory_id,
  organization_id, created_at, updated_at
  ON "directory_groups" FOR EACH ROW EXECUTE FUNCTION dsync_next_rendering();--> statement-breakpoint
-- WHEN is checked without entering plpgsql.
CREATE TRIGGER directory_users_superseded AFTER UPDATE ON "directory_users" FOR EACH ROW
  WHEN (OLD.api_version <> NEW.api_version) EXECUTE FUNCTION dsync_keep_user_rendering();--> statement-breakpoint
CREATE TRIGGER directory_users_removed AFTER DELETE ON "directory_users" FOR EACH ROW
  EXECUTE FUNCTION dsync_keep_user_rendering();--> statement-breakpoint
CREATE TRIGGER directory_groups_superseded AFTER UPDATE ON "directory_groups" FOR EACH ROW
  WHEN (OLD.api_version <> NEW.api_version) EXECUTE FUNCTION dsync_keep_group_rendering();--> statement-breakpoint
CREATE TRIGGER directory_groups_removed AFTER DELETE ON "directory_groups" FOR EACH ROW
  EXECUTE FUNCTION dsync_keep_group_rendering();
