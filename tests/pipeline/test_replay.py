"""Replaying the log from offset 0 into a database that holds only the catalog rebuilds
the same state, byte for byte: the digest equals the live database's."""
import os
import random
import subprocess

from pipeline_support import BROKERS, cancel, confirm_payment, expire, fresh_database, new_token, now_ms, reserve, wait_decided

CATALOG = ("users", "venues", "venue_rows", "concerts", "schedules", "seats")


def digest_of(url, topic):
    env = dict(os.environ, FT_DATABASE_URL=url, FT_TOPIC_COMMANDS=topic)
    result = subprocess.run([os.environ["FT_ADMIN_BIN"], "digest"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def copy_catalog(source_url, target_url):
    dump = subprocess.run(["pg_dump", "--data-only", "--no-owner"] + [f"--table={t}" for t in CATALOG] + [source_url],
                          capture_output=True, check=True)
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", target_url], input=dump.stdout,
                   capture_output=True, check=True)


def assert_replay_matches(db, topics):
    """Replays the whole log into a database holding only the catalog, in batches of 500
    (the live worker's were smaller), and compares both digests."""
    live = digest_of(db.url, topics.commands)
    target_url, drop = fresh_database()
    try:
        copy_catalog(db.url, target_url)
        env = dict(os.environ, FT_DATABASE_URL=target_url, FT_KAFKA_BROKERS=BROKERS,
                   FT_TOPIC_COMMANDS=topics.commands, FT_WORKER_BATCH_MAX="500")
        result = subprocess.run([os.environ["FT_WORKER_BIN"], "--replay"], env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        replayed = result.stdout.strip()
        assert replayed == live
        assert digest_of(target_url, topics.commands) == live

        # A second replay into the same database is refused: it already holds the state.
        again = subprocess.run([os.environ["FT_WORKER_BIN"], "--replay"], env=env, capture_output=True, text=True,
                               timeout=120)
        assert again.returncode != 0
    finally:
        drop()


def test_replay_digest_equals_live_digest(db, topics, workers):
    schedules = [db.schedule(rows=3, seats_per_row=8) for _ in range(3)]
    users = db.users(40)
    rng = random.Random(11)
    ts = now_ms()
    for i in range(600):
        schedule, seats = rng.choice(schedules)
        if rng.random() < 0.6:
            row = rng.choice(list(seats))
            topics.send(reserve(new_token(), rng.choice(users), schedule, ts + i * 10,
                                seat_ids=[rng.choice(seats[row])], hold_seconds=rng.choice([1, 2, 300])))
        else:
            topics.send(reserve(new_token(), rng.choice(users), schedule, ts + i * 10,
                                quantity=rng.randint(1, 3), hold_seconds=300))
    worker = workers(topics, db, FT_WORKER_BATCH_MAX=37)
    topics.flush()
    wait_decided(db, topics)
    # Cancels and expiries of what was held, later in the log.
    held = db.rows("SELECT id, user_id, schedule_id FROM reservations")
    for rid, user, schedule in rng.sample(held, min(40, len(held))):
        topics.send(cancel(user, schedule, rid, ts + 7000))
    for rid, user, schedule in held:
        topics.send(expire(schedule, rid, ts + 9000))
    topics.flush()
    wait_decided(db, topics)
    worker.stop()
    statuses = {r[0] for r in db.rows("SELECT DISTINCT status FROM reservations")}
    assert {"HELD", "CANCELLED", "EXPIRED"} <= statuses, f"the run should exercise every ending: {statuses}"

    assert_replay_matches(db, topics)


def test_payments_in_the_log_replay_to_the_same_refunds(db, topics, workers):
    """Confirmations, refusals and refunds of paid holds, first each on a reservation of its
    own (a batch's payment effects written kind by kind), then several on one reservation
    (written one by one in log order): the stored effects are what the log says, and a
    replay in batches of another size writes the same."""
    schedules = [db.schedule(rows=3, seats_per_row=8) for _ in range(2)]
    users = db.users(30)
    ts = now_ms()
    tokens = []
    for i in range(40):
        schedule, seats = schedules[i % 2]
        seat = [s for row in sorted(seats) for s in seats[row]][i // 2]
        tokens.append(new_token())
        # Every fifth hold lasts a second: it expires before its payment comes.
        topics.send(reserve(tokens[-1], users[i % 30], schedule, ts + i, seat_ids=[seat],
                            hold_seconds=1 if i % 5 == 3 else 300))
    worker = workers(topics, db, FT_WORKER_BATCH_MAX=37)
    topics.flush()
    wait_decided(db, topics)
    by_token = {r[0]: r[1:] for r in db.rows(
        "SELECT o.token, r.id, r.user_id, r.schedule_id, r.amount FROM reservations r"
        " JOIN request_outcomes o ON o.reservation_id = r.id WHERE o.token = ANY(%s)", tokens)}
    assert len(by_token) == 40
    holds = [by_token[t] for t in tokens]  # holds[i] % 5 == 3: the short ones
    at = ts + 60_000
    odd = 'imp_"quoted\\back,{braced}'  # array-literal syntax inside an imp_uid
    expect = {}  # reservation id -> (status, {imp_uid: refund reason})

    # Wave 1: each reservation has one payment effect (or none).
    for n, (rid, user, schedule, amount) in enumerate(holds[:20]):
        at += 10
        case = n % 5
        if case == 0:
            topics.send(confirm_payment(user, schedule, rid, at, f"imp_paid_{rid}", amount))
            expect[rid] = ("PAID", {})
        elif case == 1:
            topics.send(confirm_payment(user, schedule, rid, at, f"imp_short_{rid}", amount - 1000))
            expect[rid] = ("HELD", {f"imp_short_{rid}": "AMOUNT_MISMATCH"})
        elif case == 2:
            topics.send(confirm_payment(users[(users.index(user) + 1) % 30], schedule, rid, at, f"imp_other_{rid}",
                                        amount))
            expect[rid] = ("HELD", {f"imp_other_{rid}": "NOT_OWNER"})
        elif case == 3:  # its hold of a second has ended by now
            topics.send(confirm_payment(user, schedule, rid, at, f"imp_late_{rid}", amount))
            expect[rid] = ("EXPIRED", {f"imp_late_{rid}": "HOLD_ENDED"})
        else:
            imp = odd if n == 4 else f"imp_plain_{rid}"
            topics.send(confirm_payment(user, schedule, rid, at, imp, amount))
            expect[rid] = ("PAID", {})
    topics.flush()
    wait_decided(db, topics)

    # Wave 2: several effects on one reservation, interleaved with the others'.
    steps = []
    for n, (rid, user, schedule, amount) in enumerate(holds[20:]):
        case = n % 5
        if case == 3:
            continue  # expired: nothing to pay
        first = f"imp_first_{rid}"
        if case == 0:  # the same payment confirmed twice: nothing more
            steps.append([confirm_payment(user, schedule, rid, 0, first, amount)] * 2)
            expect[rid] = ("PAID", {})
        elif case == 1:  # a second payment of a paid hold is refunded
            steps.append([confirm_payment(user, schedule, rid, 0, first, amount),
                          confirm_payment(user, schedule, rid, 0, f"imp_second_{rid}", amount)])
            expect[rid] = ("PAID", {f"imp_second_{rid}": "ALREADY_PAID"})
        else:  # paid and cancelled (then its confirmation sent again): refunded once, as cancelled
            steps.append([confirm_payment(user, schedule, rid, 0, first, amount),
                          cancel(user, schedule, rid, 0)] +
                         ([confirm_payment(user, schedule, rid, 0, first, amount)] if case == 2 else []))
            expect[rid] = ("CANCELLED", {first: "CANCELLED_BY_BUYER"})
    for k in range(3):
        for step in steps:
            if k < len(step):
                at += 10
                topics.send(dict(step[k], ts=at))
    topics.flush()
    wait_decided(db, topics)
    worker.stop()

    statuses = dict(db.rows("SELECT id, status FROM reservations WHERE id = ANY(%s)", list(expect)))
    refunds = {}
    for rid, imp, reason, amount in db.rows("SELECT reservation_id, imp_uid, reason, amount FROM refunds"):
        refunds.setdefault(rid, {})[imp] = reason
    for rid, (status, refunded) in expect.items():
        assert (statuses[rid], refunds.get(rid, {})) == (status, refunded), f"reservation {rid}"
    paid = dict(db.rows("SELECT reservation_id, imp_uid FROM payments WHERE status = 'PAID'"))
    assert paid[holds[4][0]] == odd, "the imp_uid is stored as sent"
    assert len(paid) == sum(1 for status, _ in expect.values() if status == "PAID")
    assert db.value("SELECT count(*) FROM reservations WHERE status = 'CANCELLED' AND paid_at IS NOT NULL") == 8
    assert db.value("SELECT count(*) FROM payments WHERE status = 'REFUND_DUE'") == 8

    assert_replay_matches(db, topics)
