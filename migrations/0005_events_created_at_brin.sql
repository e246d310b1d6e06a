DROP INDEX "events_created_at_idx";--> statement-breakpoint
CREATE INDEX "events_created_at_idx" ON "events" USING brin ("created_at");