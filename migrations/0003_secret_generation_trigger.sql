-- A client_credentials token is honoured only while its application's `secret_generation` is the
-- one it was issued under (issue 9, item 5). The pages and the CLI change the secret; so may an
-- operator in the D1 console. This trigger moves the generation on whenever the stored secret
-- changes, by whatever path, so the old secret's tokens end with it.
CREATE TRIGGER `applications_secret_generation`
AFTER UPDATE OF `client_secret_hash` ON `applications`
WHEN OLD.`client_secret_hash` IS NOT NEW.`client_secret_hash`
BEGIN
  UPDATE `applications` SET `secret_generation` = `secret_generation` + 1 WHERE `id` = NEW.`id`;
END;
