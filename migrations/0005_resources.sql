CREATE TABLE `resources` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uri` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`scopes` text DEFAULT '' NOT NULL,
	`token_format` text DEFAULT 'opaque' NOT NULL,
	`access_token_expire_seconds` integer,
	`created` integer DEFAULT (unixepoch()) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `resources_uri_unique` ON `resources` (`uri`);--> statement-breakpoint
ALTER TABLE `authorization_codes` ADD `resources` text;--> statement-breakpoint
ALTER TABLE `token_families` ADD `resources` text;