"""The schema's own guard against double booking, written to directly (no worker): the
constraints must refuse what a wrong worker could write. Migration 0012 dropped two
foreign keys on the grounds that these imply them, and 0015 checks a held seat's schedule
once per statement instead of by a key; these tests hold them to that."""
import psycopg2
import pytest


def hold(db, user, schedule, seats):
    """A HELD reservation with its seats, in one transaction; its id (the next free one:
    ids are the worker's to give)."""
    conn = psycopg2.connect(db.url)  # one transaction: a refused seat leaves no reservation behind
    try:
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO reservations (id, user_id, schedule_id, status, amount, held_at, expires_at)"
                        " SELECT coalesce(max(id), 0) + 1, %s, %s, 'HELD', 10000, now(), now() + interval '5 minutes'"
                        " FROM reservations RETURNING id",
                        (user, schedule))
            rid = cur.fetchone()[0]
            for seat in seats:
                cur.execute("INSERT INTO reservation_seats (reservation_id, schedule_id, live, seat_id)"
                            " VALUES (%s, %s, true, %s)", (rid, schedule, seat))
            return rid
    finally:
        conn.close()


def add_seats(db, rid, schedule, seats):
    """Seat rows for reservation rid, in one statement, as the worker writes a batch's."""
    return db.rows("INSERT INTO reservation_seats (reservation_id, schedule_id, live, seat_id)"
                   " SELECT %s, %s, true, unnest(%s::bigint[]) RETURNING 1", rid, schedule, list(seats))


def reservation_count(db):
    return db.value("SELECT count(*) FROM reservations")


def test_a_seat_is_in_one_live_reservation_at_most_and_free_again_when_it_ends(db):
    user = db.users(1)[0]
    schedule, seats = db.schedule(rows=1, seats_per_row=4)
    first = hold(db, user, schedule, [seats[1][0], seats[1][1]])
    with pytest.raises(psycopg2.errors.UniqueViolation):
        hold(db, user, schedule, [seats[1][2], seats[1][1]])
    assert reservation_count(db) == 1, "the refused hold left nothing"

    # Ending the reservation turns its seats' live flag off through the cascading key.
    db.rows("UPDATE reservations SET status = 'EXPIRED', ended_at = now() WHERE id = %s RETURNING 1", first)
    assert db.rows("SELECT seat_id, live FROM reservation_seats WHERE reservation_id = %s ORDER BY seat_id", first) == [
        (seats[1][0], False), (seats[1][1], False)]
    second = hold(db, user, schedule, [seats[1][1]])
    assert db.value("SELECT count(*) FROM reservation_seats WHERE seat_id = %s AND live", seats[1][1]) == 1
    assert db.value("SELECT reservation_id FROM reservation_seats WHERE seat_id = %s AND live", seats[1][1]) == second


def test_a_reservation_holds_only_seats_of_its_own_schedule(db):
    user = db.users(1)[0]
    schedule, _ = db.schedule(rows=1, seats_per_row=2)
    _, other_seats = db.schedule(rows=1, seats_per_row=2)
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        hold(db, user, schedule, [other_seats[1][0]])
    assert reservation_count(db) == 0


def test_a_seat_row_names_its_reservations_schedule(db):
    """reservation_seats' key to reservations includes the schedule: a row cannot pair a
    reservation of one schedule with a seat of another, even naming the seat's schedule."""
    user = db.users(1)[0]
    schedule, seats = db.schedule(rows=1, seats_per_row=2)
    other, other_seats = db.schedule(rows=1, seats_per_row=2)
    rid = hold(db, user, schedule, [seats[1][0]])
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        add_seats(db, rid, other, [other_seats[1][0]])


def test_a_reservation_of_no_schedule_can_hold_no_seat(db):
    """Since 0012, reservations.schedule_id has no key of its own: a row naming a schedule
    that does not exist is taken, but no seat can be held by it, so nothing is booked."""
    user = db.users(1)[0]
    schedule, seats = db.schedule(rows=1, seats_per_row=2)
    missing = db.value("SELECT coalesce(max(id), 0) + 1000 FROM schedules")
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        hold(db, user, missing, [seats[1][0]])
    assert reservation_count(db) == 0
    assert hold(db, user, schedule, [seats[1][0]]) > 0, "the seat stayed free"


def test_one_wrong_seat_refuses_the_whole_statement(db):
    """The worker writes a batch's seats with one statement (unnest): 0015 checks the rows
    it wrote together, so one seat of another schedule among right ones refuses them all."""
    user = db.users(1)[0]
    schedule, seats = db.schedule(rows=1, seats_per_row=3)
    _, other_seats = db.schedule(rows=1, seats_per_row=1)
    rid = hold(db, user, schedule, [seats[1][0]])
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        add_seats(db, rid, schedule, [seats[1][1], other_seats[1][0], seats[1][2]])
    assert db.rows("SELECT seat_id FROM reservation_seats WHERE reservation_id = %s", rid) == [(seats[1][0],)]
    add_seats(db, rid, schedule, [seats[1][1], seats[1][2]])
    assert db.value("SELECT count(*) FROM reservation_seats WHERE reservation_id = %s", rid) == 3


def test_a_held_seat_row_cannot_be_moved_to_a_seat_of_another_schedule(db):
    user = db.users(1)[0]
    schedule, seats = db.schedule(rows=1, seats_per_row=2)
    _, other_seats = db.schedule(rows=1, seats_per_row=1)
    rid = hold(db, user, schedule, [seats[1][0]])
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        db.rows("UPDATE reservation_seats SET seat_id = %s WHERE reservation_id = %s RETURNING 1",
                other_seats[1][0], rid)
    assert db.rows("UPDATE reservation_seats SET seat_id = %s WHERE reservation_id = %s RETURNING seat_id",
                   seats[1][1], rid) == [(seats[1][1],)], "another seat of its own schedule is a seat it may hold"


@pytest.mark.parametrize("change", [
    "DELETE FROM seats WHERE id = %s",
    "UPDATE seats SET schedule_id = (SELECT max(id) FROM schedules) WHERE id = %s",
    "UPDATE seats SET id = DEFAULT WHERE id = %s",  # id is an identity: DEFAULT is its only new value
])
def test_a_seat_is_never_deleted_or_moved_since_holds_are_checked_without_locking_it(db, change):
    """0015 checks a held seat without locking its row, which is sound only if seats stay
    as they were put on sale; a held seat and a free one alike."""
    user = db.users(1)[0]
    schedule, seats = db.schedule(rows=1, seats_per_row=2)
    db.schedule(rows=1, seats_per_row=1)  # the schedule a seat would be moved to
    hold(db, user, schedule, [seats[1][0]])
    for seat in (seats[1][0], seats[1][1]):
        with pytest.raises(psycopg2.errors.ForeignKeyViolation):
            db.rows(change + " RETURNING 1", seat)
        assert db.rows("SELECT schedule_id FROM seats WHERE id = %s", seat) == [(schedule,)]
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        db.rows("TRUNCATE seats; SELECT 1")
    assert db.value("SELECT count(*) FROM seats WHERE schedule_id = %s", schedule) == 2
    assert db.rows("UPDATE seats SET price = price + 1 WHERE id = %s RETURNING 1", seats[1][1]) == [(1,)], \
        "what does not move a seat stays possible"
