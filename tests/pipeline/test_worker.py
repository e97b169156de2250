"""The worker against the real Kafka broker and PostgreSQL: first come first served,
holds that expire by the log's time, exactly-once effects across a kill -9, and
fencing of a worker that lost its partition."""
import random
import time

from pipeline_support import cancel, expire, new_token, now_ms, reserve, wait_decided


def test_a_thousand_buyers_for_one_seat_get_one_hold_in_log_order(db, topics, workers):
    schedule, seats = db.schedule()
    users = db.users(1000)
    tokens = [new_token() for _ in users]
    ts = now_ms()
    for i, (user, token) in enumerate(zip(users, tokens)):
        topics.send(reserve(token, user, schedule, ts + i, seat_ids=[seats[1][4]]))
    topics.flush()
    workers(topics, db)
    wait_decided(db, topics)

    outcomes = db.outcomes(tokens)
    assert len(outcomes) == 1000, "every token has an outcome"
    held = [t for t, o in outcomes.items() if o[0] == "HELD"]
    assert len(held) == 1
    assert held == [tokens[0]], "the first request in the log gets the seat"
    assert sorted(o[1] for t, o in outcomes.items() if o[0] == "REJECTED") == ["SEAT_TAKEN"] * 999
    assert db.seats_in_two_live_reservations() == 0


def test_best_available_and_the_per_user_limit(db, topics, workers):
    schedule, seats = db.schedule(rows=2, seats_per_row=10)
    (user,) = db.users(1)
    ts = now_ms()
    first, second, third = new_token(), new_token(), new_token()
    topics.send(reserve(first, user, schedule, ts, quantity=2))
    topics.send(reserve(second, user, schedule, ts + 1, quantity=2))
    topics.send(reserve(third, user, schedule, ts + 2, quantity=1))
    topics.flush()
    workers(topics, db)
    wait_decided(db, topics)
    outcomes = db.outcomes([first, second, third])
    assert outcomes[first][0] == outcomes[second][0] == "HELD"
    assert outcomes[third][:2] == ("REJECTED", "LIMIT_EXCEEDED"), "4 seats is the default limit"
    got = {r[0] for r in db.rows("SELECT seat_id FROM reservation_seats WHERE reservation_id = %s",
                                 outcomes[first][2])}
    assert got == {seats[1][4], seats[1][5]}, "front row, centre seats 5 and 6"


def test_a_hold_expires_by_the_log_and_its_seat_sells_again(db, topics, workers):
    schedule, seats = db.schedule()
    alice, bob, carol = db.users(3)
    seat = seats[2][0]
    ts = now_ms()
    held, paid_too_late = new_token(), new_token()
    topics.send(reserve(held, alice, schedule, ts, seat_ids=[seat], hold_seconds=2))
    topics.flush()
    worker = workers(topics, db)
    wait_decided(db, topics)
    reservation = db.outcomes([held])[held][2]
    topics.send(expire(schedule, reservation, ts + 1500))  # too early: nothing happens
    topics.flush()
    wait_decided(db, topics)
    assert db.value("SELECT status FROM reservations WHERE id = %s", reservation) == "HELD"

    topics.send(expire(schedule, reservation, ts + 2000))
    topics.send(reserve(paid_too_late, bob, schedule, ts + 2001, seat_ids=[seat]))
    topics.flush()
    wait_decided(db, topics)
    assert db.rows("SELECT status, ended_at = expires_at FROM reservations WHERE id = %s", reservation) == [
        ("EXPIRED", True)]
    assert db.outcomes([paid_too_late])[paid_too_late][0] == "HELD", "the seat is on sale again"

    # An expire for a hold that was cancelled first changes nothing.
    cancelled = new_token()
    topics.send(reserve(cancelled, carol, schedule, ts + 3000, seat_ids=[seats[3][0]], hold_seconds=2))
    topics.flush()
    wait_decided(db, topics)
    rid = db.outcomes([cancelled])[cancelled][2]
    topics.send(cancel(carol, schedule, rid, ts + 3100))
    topics.send(expire(schedule, rid, ts + 6000))
    topics.flush()
    wait_decided(db, topics)
    assert db.value("SELECT status FROM reservations WHERE id = %s", rid) == "CANCELLED"
    worker.stop()


def test_cancel_is_the_owners_and_repeatable(db, topics, workers):
    schedule, seats = db.schedule()
    owner, stranger = db.users(2)
    token = new_token()
    ts = now_ms()
    topics.send(reserve(token, owner, schedule, ts, seat_ids=[seats[1][0]]))
    topics.flush()
    workers(topics, db)
    wait_decided(db, topics)
    rid = db.outcomes([token])[token][2]
    topics.send(cancel(stranger, schedule, rid, ts + 1))
    topics.flush()
    wait_decided(db, topics)
    assert db.value("SELECT status FROM reservations WHERE id = %s", rid) == "HELD"
    topics.send(cancel(owner, schedule, rid, ts + 2))
    topics.send(cancel(owner, schedule, rid, ts + 3))
    topics.flush()
    wait_decided(db, topics)
    assert db.rows("SELECT status FROM reservations WHERE id = %s", rid) == [("CANCELLED",)]


def test_kill_9_mid_run_loses_nothing_and_changes_no_reported_outcome(db, topics, workers):
    schedules = [db.schedule(rows=4, seats_per_row=10) for _ in range(4)]
    users = db.users(300)
    rng = random.Random(7)
    tokens = []
    first = workers(topics, db, FT_WORKER_BATCH_MAX=50, FT_WORKER_BATCH_MS=5)
    second = workers(topics, db, FT_WORKER_BATCH_MAX=50, FT_WORKER_BATCH_MS=5)
    ts = now_ms()
    for i in range(3000):
        schedule, seats = rng.choice(schedules)
        token = new_token()
        tokens.append(token)
        if rng.random() < 0.5:
            row = rng.choice(list(seats))
            cmd = reserve(token, rng.choice(users), schedule, ts + i, seat_ids=[rng.choice(seats[row])])
        else:
            cmd = reserve(token, rng.choice(users), schedule, ts + i, quantity=rng.randint(1, 4))
        topics.send(cmd)
        if i == 1500:
            topics.flush()
            time.sleep(0.3)
            first.kill()  # in the middle of its batches
    topics.flush()
    wait_decided(db, topics, timeout=120)

    stored = db.outcomes(tokens)
    assert len(stored) == len(tokens), "every accepted command has an outcome"
    assert db.seats_in_two_live_reservations() == 0
    for doc in topics.published_outcomes():
        row = stored[doc["token"]]
        assert row[0] == doc["status"], "a published outcome never changes"
        assert row[2] == doc.get("reservationId"), "the same reservation"
    second.stop()
    assert "partition_claimed" in second.text()


def test_a_worker_that_lost_its_partition_cannot_write(db, topics, workers):
    schedule, seats = db.schedule()
    (user,) = db.users(1)
    token = new_token()
    worker = workers(topics, db)
    ts = now_ms()
    topics.send(reserve(new_token(), user, schedule, ts, seat_ids=[seats[1][0]]))
    topics.flush()
    wait_decided(db, topics)
    # Another worker claims the partition (as after a rebalance this one missed).
    partition = schedule % topics.partitions
    db.rows("UPDATE partition_offsets SET epoch = epoch + 1 WHERE topic = %s AND partition = %s RETURNING 1",
            topics.commands, partition)
    topics.send(reserve(token, user, schedule, ts + 1, seat_ids=[seats[1][1]]))
    topics.flush()
    deadline = time.monotonic() + 20
    while "worker.fenced" not in worker.text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "worker.fenced" in worker.text()
    assert db.outcomes([token]) == {}, "the fenced worker wrote nothing"
    worker.stop()


def test_a_fenced_partition_loses_its_own_batches_and_no_other(db, topics, workers):
    """A commit holds every partition's batch; a partition another worker claimed is
    left out of it while the others are written, then and afterwards."""
    fenced_schedule, fenced_seats = db.schedule()
    other_schedule, other_seats = db.schedule()
    while other_schedule % topics.partitions == fenced_schedule % topics.partitions:
        other_schedule, other_seats = db.schedule()
    users = db.users(4)
    worker = workers(topics, db)
    ts = now_ms()
    topics.send(reserve(new_token(), users[0], fenced_schedule, ts, seat_ids=[fenced_seats[1][0]]))
    topics.send(reserve(new_token(), users[0], other_schedule, ts, seat_ids=[other_seats[1][0]]))
    topics.flush()
    wait_decided(db, topics)
    db.rows("UPDATE partition_offsets SET epoch = epoch + 1 WHERE topic = %s AND partition = %s RETURNING 1",
            topics.commands, fenced_schedule % topics.partitions)
    lost, kept = new_token(), new_token()
    topics.send(reserve(lost, users[1], fenced_schedule, ts + 1, seat_ids=[fenced_seats[1][1]]))
    topics.send(reserve(kept, users[1], other_schedule, ts + 1, seat_ids=[other_seats[1][1]]))
    topics.flush()
    deadline = time.monotonic() + 20
    while (not db.outcomes([kept]) or "worker.fenced" not in worker.text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "worker.fenced" in worker.text()
    assert db.outcomes([kept])[kept][0] == "HELD", "the other partition's batch was written"
    assert db.outcomes([lost]) == {}, "the fenced partition's batch was not"
    later = new_token()
    topics.send(reserve(later, users[2], other_schedule, ts + 2, seat_ids=[other_seats[1][2]]))
    topics.flush()
    deadline = time.monotonic() + 20
    while not db.outcomes([later]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert db.outcomes([later])[later][0] == "HELD", "the worker goes on writing the partitions it still has"
    worker.stop()


def test_first_come_first_served_matches_a_reference_in_log_order(db, topics, workers):
    """No request is granted a seat that an earlier, still-satisfiable request asked for:
    the worker's outcomes equal a sequential all-or-nothing model run in offset order."""
    schedule, seats = db.schedule(rows=3, seats_per_row=10)
    pool = [s for row in seats.values() for s in row]
    users = db.users(1500)
    rng = random.Random(3)
    ts = now_ms()
    sent = []
    for i, user in enumerate(users):
        wanted = rng.sample(pool, rng.choice([1, 1, 2, 3]))
        token = new_token()
        topics.send(reserve(token, user, schedule, ts + i, seat_ids=wanted))
        sent.append((token, wanted))
    topics.flush()
    workers(topics, db)
    wait_decided(db, topics)

    outcomes = db.outcomes([t for t, _ in sent])
    taken = set()
    overtakes = 0
    for token, wanted in sorted(sent, key=lambda tw: outcomes[tw[0]][3]):  # log order
        expected = "REJECTED" if taken & set(wanted) else "HELD"
        if expected == "HELD":
            taken |= set(wanted)
        overtakes += outcomes[token][0] != expected
    assert overtakes == 0
    assert len(taken) == db.value("SELECT count(*) FROM reservation_seats WHERE live")
