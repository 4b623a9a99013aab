ALTER TABLE "orders" ADD COLUMN "placed_by_sub" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "placed_by_client_id" text;