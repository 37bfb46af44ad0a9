ALTER TABLE `token_families` ADD `previous_refresh_hash` text;--> statement-breakpoint
ALTER TABLE `token_families` ADD `rotated_at` integer;--> statement-breakpoint
CREATE INDEX `token_families_refresh_idx` ON `token_families` (`refresh_hash`);--> statement-breakpoint
CREATE INDEX `token_families_previous_refresh_idx` ON `token_families` (`previous_refresh_hash`);