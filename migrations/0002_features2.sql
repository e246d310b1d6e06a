ALTER TABLE "directories" ADD COLUMN "attribute_mapping" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "directories" ADD COLUMN "role_mapping" jsonb;