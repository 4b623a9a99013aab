CREATE TABLE "audit_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"tool" text NOT NULL,
	"outcome" text NOT NULL,
	"principal_sub" text NOT NULL,
	"principal_client_id" text NOT NULL,
	"on_behalf_of_sub" text,
	"on_behalf_of_client_id" text,
	"trace_id" text,
	"duration_ms" integer NOT NULL,
	"resource_ids" text[] DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_events_tool_idx" ON "audit_events" USING btree ("tool","event_id");--> statement-breakpoint
CREATE INDEX "audit_events_principal_sub_idx" ON "audit_events" USING btree ("principal_sub","event_id");--> statement-breakpoint
CREATE INDEX "audit_events_principal_client_idx" ON "audit_events" USING btree ("principal_client_id","event_id");