CREATE TABLE `retired_refresh_tokens` (
	`hash` text PRIMARY KEY NOT NULL,
	`family_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`family_id`) REFERENCES `token_families`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `retired_refresh_tokens_family_idx` ON `retired_refresh_tokens` (`family_id`);--> statement-breakpoint
DROP INDEX `token_families_previous_refresh_idx`;--> statement-breakpoint
-- Until now a rotated-out refresh token was remembered by its KV record; from here on D1 keeps it.
-- The one each live grant last rotated from is carried over (its own expiry is unknown: the grant's
-- bounds it), so a replay of it still revokes the grant.
INSERT OR IGNORE INTO `retired_refresh_tokens` (`hash`, `family_id`, `expires_at`) SELECT `previous_refresh_hash`, `id`, `expires_at` FROM `token_families` WHERE `previous_refresh_hash` IS NOT NULL AND `revoked_at` IS NULL;
