ALTER TABLE "directories" ADD COLUMN "attribute_mapping" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "directories" ADD COLUMN "role_mapping" jsonb;--> statement-breakpoint
ALTER TABLE "pull_directories" ADD COLUMN "connection_saved_at" timestamp with time zone DEFAULT now() NOT NULL;