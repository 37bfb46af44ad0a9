CREATE TABLE `client_assertions` (
	`key` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `client_assertions_expires_idx` ON `client_assertions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `initial_access_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`label` text DEFAULT '' NOT NULL,
	`created` integer DEFAULT (unixepoch()) NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `applications` ADD `registration` text DEFAULT 'manual' NOT NULL;--> statement-breakpoint
ALTER TABLE `applications` ADD `token_endpoint_auth_method` text;--> statement-breakpoint
ALTER TABLE `applications` ADD `jwks` text;--> statement-breakpoint
ALTER TABLE `applications` ADD `jwks_uri` text;--> statement-breakpoint
ALTER TABLE `applications` ADD `client_metadata` text;--> statement-breakpoint
ALTER TABLE `applications` ADD `registration_token_hash` text;--> statement-breakpoint
ALTER TABLE `applications` ADD `last_used_at` integer;--> statement-breakpoint
CREATE INDEX `applications_registration_idx` ON `applications` (`registration`);