-- A held seat must be a seat of its reservation's schedule. Until now a foreign key from
-- reservation_seats to seats (id, schedule_id) said so, and PostgreSQL checks a key row by
-- row: an index lookup and a lock on the seat's row, which is a WAL record of its own,
-- for every seat the worker holds. In an on-sale that was about 5 µs of PostgreSQL's CPU
-- per decided request, 6 % of the whole pipeline's: closed loops of 256 in flight, the key
-- and this check alternated in one database, PostgreSQL 17.0-17.9 µs per decided request
-- with the key and 11.2-13.8 with the check (docs/benchmark-history.md).
--
-- The same rule is now checked once per statement, over the rows the statement wrote,
-- without locking the seats. Not locking them is sound only because a seat can no longer
-- be deleted, nor move to another id or schedule: seats are copied from the venue's layout
-- when a schedule is made and are what was on sale (0001), so nothing ever changed them.
-- The key's other effect, that a held seat cannot be deleted, is the first of those rules.
-- Both refusals keep the key's SQLSTATE (23503), so that the worker still sees a refused
-- batch as refused (worker/store.c) and tests/pipeline/test_schema_guards.py its error.

CREATE FUNCTION held_seats_are_of_their_schedule() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM written w
               WHERE NOT EXISTS (SELECT 1 FROM seats s WHERE s.id = w.seat_id AND s.schedule_id = w.schedule_id)) THEN
        RAISE EXCEPTION 'a reservation can hold only seats of its own schedule'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'reservation_seats';
    END IF;
    RETURN NULL;
END $$;

-- A row's seat or schedule changes only by hand (the worker writes a row once, and the key
-- from reservations cascades only its live flag in practice), so that path checks one row.
CREATE FUNCTION held_seat_is_of_its_schedule() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM seats s WHERE s.id = NEW.seat_id AND s.schedule_id = NEW.schedule_id) THEN
        RAISE EXCEPTION 'a reservation can hold only seats of its own schedule'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'reservation_seats';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION seats_stay() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'seats are what was on sale: they are never deleted, renumbered or moved to another schedule'
        USING ERRCODE = 'foreign_key_violation', TABLE = 'seats';
END $$;

ALTER TABLE reservation_seats DROP CONSTRAINT reservation_seats_seat_id_schedule_id_fkey;

CREATE TRIGGER held_seats_are_of_their_schedule AFTER INSERT ON reservation_seats
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION held_seats_are_of_their_schedule();
CREATE TRIGGER held_seat_is_of_its_schedule AFTER UPDATE OF seat_id, schedule_id ON reservation_seats
    FOR EACH ROW WHEN (NEW.seat_id <> OLD.seat_id OR NEW.schedule_id <> OLD.schedule_id)
    EXECUTE FUNCTION held_seat_is_of_its_schedule();

CREATE TRIGGER seats_are_never_deleted BEFORE DELETE ON seats FOR EACH STATEMENT EXECUTE FUNCTION seats_stay();
CREATE TRIGGER seats_are_never_truncated BEFORE TRUNCATE ON seats FOR EACH STATEMENT EXECUTE FUNCTION seats_stay();
CREATE TRIGGER seats_never_move BEFORE UPDATE OF id, schedule_id ON seats
    FOR EACH ROW WHEN (NEW.id <> OLD.id OR NEW.schedule_id <> OLD.schedule_id) EXECUTE FUNCTION seats_stay();
