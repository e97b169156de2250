-- A reservation's user is the one its command names. The worker holds no users, so it
-- cannot tell whether that user is still in the database, and every command of the log
-- must be storable: with this key, one hold of a user the database did not have made
-- every commit of its worker fail, retried for ever, and the worker decided nothing more.
-- That happens after a restore from a backup older than the user's signup, when the
-- commands since are replayed (docs/operations.md, "Backup and restore"), or with a
-- database recreated under the same FT_JWT_SECRET. Such a hold expires unpaid like any
-- other. request_outcomes lost the same key in 0005; the keys to schedules and seats stay
-- (the worker decides only for schedules it loaded from the database).
ALTER TABLE reservations DROP CONSTRAINT reservations_user_id_fkey;
