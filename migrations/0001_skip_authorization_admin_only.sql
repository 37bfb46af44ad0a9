-- Skip authorization became admin-only (issue 9): the self-service application forms let any
-- signed-in user turn it on, and then every other user who opened that application's authorize
-- link was sent to its redirect URI with a code, without a consent page (RFC 6749 §10.2).
-- The flag is cleared on applications whose owner is not staff: those were set through the
-- forms. It stays on applications with no owner (made by `npm run admin -- createapp` without
-- --owner) and on those owned by staff, which an administrator may have set.
UPDATE `applications` SET `skip_authorization` = 0, `updated` = unixepoch()
WHERE `skip_authorization` = 1
  AND `user_id` IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM `users` WHERE `users`.`id` = `applications`.`user_id` AND `users`.`is_staff` = 1);
