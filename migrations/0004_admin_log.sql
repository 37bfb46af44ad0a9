CREATE TABLE `admin_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`action_time` integer DEFAULT (unixepoch()) NOT NULL,
	`actor_id` integer,
	`actor_username` text NOT NULL,
	`object_type` text NOT NULL,
	`object_id` text NOT NULL,
	`object_repr` text NOT NULL,
	`action` text NOT NULL,
	`message` text DEFAULT '' NOT NULL,
	FOREIGN KEY (`actor_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `admin_log_object_idx` ON `admin_log` (`object_type`,`object_id`);--> statement-breakpoint
CREATE INDEX `admin_log_time_idx` ON `admin_log` (`action_time`);