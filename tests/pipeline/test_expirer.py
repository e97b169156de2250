"""The expirer turns time into EXPIRE commands: holds end without any other traffic,
also when the expirer was killed before they were due."""
import os
import re
import signal
import subprocess
import time

import psycopg2

from pipeline_support import BROKERS, new_token, now_ms, reserve, wait_decided


def start_expirer(topics, db, log_path, **settings):
    env = dict(os.environ, FT_DATABASE_URL=db.url, FT_KAFKA_BROKERS=BROKERS, FT_TOPIC_COMMANDS=topics.commands,
               FT_EXPIRER_INTERVAL_MS="200", FT_LOG_LEVEL="info", FT_EXPIRER_HTTP_PORT="0", **settings)
    log = open(log_path, "ab")
    return subprocess.Popen([os.environ["FT_EXPIRER_BIN"]], env=env, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT), log


def wait_status(db, reservation, status, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.value("SELECT status FROM reservations WHERE id = %s", reservation) == status:
            return
        time.sleep(0.2)
    raise AssertionError(f"reservation {reservation} not {status} after {timeout}s")


def test_holds_expire_on_their_own_across_an_expirer_restart(db, topics, workers, tmp_path):
    schedule, seats = db.schedule()
    alice, bob = db.users(2)
    first, second = new_token(), new_token()
    ts = now_ms()
    topics.send(reserve(first, alice, schedule, ts, seat_ids=[seats[1][0]], hold_seconds=2))
    topics.send(reserve(second, bob, schedule, ts + 1, seat_ids=[seats[1][1]], hold_seconds=4))
    topics.flush()
    worker = workers(topics, db)
    wait_decided(db, topics)
    outcomes = db.outcomes([first, second])
    r1, r2 = outcomes[first][2], outcomes[second][2]

    expirer, log = start_expirer(topics, db, tmp_path / "expirer.log")
    wait_status(db, r1, "EXPIRED")
    assert db.value("SELECT status FROM reservations WHERE id = %s", r2) == "HELD", "not due yet"
    expirer.send_signal(signal.SIGKILL)  # killed before the second hold is due
    expirer.wait(timeout=10)

    time.sleep(max(0.0, (ts + 4500 - now_ms()) / 1000))
    assert db.value("SELECT status FROM reservations WHERE id = %s", r2) == "HELD", "nobody sent its expiry yet"
    expirer, log2 = start_expirer(topics, db, tmp_path / "expirer.log")
    wait_status(db, r2, "EXPIRED")
    assert db.value("SELECT count(*) FROM reservation_seats WHERE live") == 0, "both seats are on sale again"

    expirer.send_signal(signal.SIGTERM)
    assert expirer.wait(timeout=15) == 0
    log.close()
    log2.close()
    text = (tmp_path / "expirer.log").read_text(errors="replace")
    assert "ERROR: AddressSanitizer" not in text and "runtime error:" not in text
    worker.stop()


def test_an_expire_command_bears_its_holds_end_not_the_expirers_clock(db, topics, workers, tmp_path):
    """The worker ends every unpaid hold of the schedule due by a command's time. Stamped
    with the expirer's clock, an EXPIRE would end the schedule's later holds early when
    that clock runs ahead of the ingresses' that stamped them; so it bears its hold's end."""
    schedule, seats = db.schedule()
    alice = db.users(1)[0]
    token = new_token()
    topics.send(reserve(token, alice, schedule, now_ms(), seat_ids=[seats[1][0]], hold_seconds=1))
    topics.flush()
    worker = workers(topics, db)
    wait_decided(db, topics)
    reservation = db.outcomes([token])[token][2]
    due = db.value("SELECT (extract(epoch FROM expires_at) * 1000)::bigint FROM reservations WHERE id = %s",
                   reservation)
    time.sleep(max(0.0, (due + 300 - now_ms()) / 1000))  # the expirer starts after the hold's end
    expirer, log = start_expirer(topics, db, tmp_path / "expirer.log")
    try:
        wait_status(db, reservation, "EXPIRED")
    finally:
        expirer.send_signal(signal.SIGTERM)
        code = expirer.wait(timeout=15)
        log.close()
    assert code == 0
    expires = [m for m in topics.messages(topics.commands) if m["type"] == "EXPIRE"]
    assert [(m["reservationId"], m["ts"]) for m in expires] == [(reservation, due)]
    worker.stop()


def test_a_hold_stored_behind_the_sweep_still_expires(db, topics, workers, tmp_path):
    """The expirer sweeps in expiry order from where it got to. A hold stored after the
    sweep had passed its expiry (its worker lagging behind the log) sorts before that
    mark, and must be found all the same."""
    early_schedule, early_seats = db.schedule()
    late_schedule, late_seats = db.schedule()
    while late_schedule % topics.partitions == early_schedule % topics.partitions:
        late_schedule, late_seats = db.schedule()
    alice, bob = db.users(2)
    worker = workers(topics, db)
    swept, behind = new_token(), new_token()
    topics.send(reserve(swept, alice, early_schedule, now_ms(), seat_ids=[early_seats[1][0]], hold_seconds=1))
    topics.flush()
    wait_decided(db, topics)
    expirer, log = start_expirer(topics, db, tmp_path / "expirer.log")
    try:
        wait_status(db, db.outcomes([swept])[swept][2], "EXPIRED")  # the sweep is past this hold's expiry

        # Decided from a command 20 s old, as a worker catching up would: due 18 s ago.
        topics.send(reserve(behind, bob, late_schedule, now_ms() - 20000, seat_ids=[late_seats[1][0]],
                            hold_seconds=2))
        topics.flush()
        wait_decided(db, topics)
        reservation = db.outcomes([behind])[behind][2]
        assert db.value("SELECT expires_at < now() - interval '15 seconds' FROM reservations WHERE id = %s",
                        reservation)
        wait_status(db, reservation, "EXPIRED")  # within 30 sweeps (200 ms each) of catching up
    finally:
        if expirer.poll() is None:
            expirer.send_signal(signal.SIGTERM)
        code = expirer.wait(timeout=15)
        log.close()
    assert code == 0
    worker.stop()


def test_idempotency_keys_older_than_their_ttl_are_deleted_and_younger_ones_kept(db, topics, tmp_path):
    """Every browser reservation binds a key; the expirer deletes those past
    FT_IDEMPOTENCY_KEY_TTL_SECONDS, a bounded batch at a time (10,000), and goes again at
    once while a batch comes back full: a backlog of 25,000 is gone in one turn's time,
    not in three 10-s periods."""
    (alice,) = db.users(1)
    db.rows("INSERT INTO idempotency_keys (user_id, key, token, created_at)"
            " SELECT %s, 'old-' || i, 'old-token-' || i, now() - interval '2 hours' + i * interval '1 ms'"
            " FROM generate_series(1, 25000) i RETURNING 1", alice)
    db.rows("INSERT INTO idempotency_keys (user_id, key, token, created_at)"
            " SELECT %s, 'young-' || i, 'young-token-' || i, now() - interval '50 minutes'"
            " FROM generate_series(1, 10) i RETURNING 1", alice)
    expirer, log = start_expirer(topics, db, tmp_path / "expirer.log", FT_IDEMPOTENCY_KEY_TTL_SECONDS="3600")
    try:
        deadline = time.monotonic() + 12
        while db.value("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'old-%%'") > 0:
            assert time.monotonic() < deadline, "old keys left: " + str(
                db.value("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'old-%%'"))
            time.sleep(0.2)
        time.sleep(0.5)
        assert db.value("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'young-%%'") == 10, \
            "keys younger than the TTL still name their requests"
    finally:
        expirer.send_signal(signal.SIGTERM)
        assert expirer.wait(timeout=15) == 0
        log.close()
    text = (tmp_path / "expirer.log").read_text(errors="replace")
    counts = [int(n) for n in re.findall(r"expirer\.keys_pruned.*?count=(\d+)", text)]
    assert max(counts) == 10000 and sum(counts) == 25000, counts
    assert "ERROR: AddressSanitizer" not in text and "runtime error:" not in text


def key_analyses(db):
    """(ANALYZE commands run on idempotency_keys so far, the rows the last analysis counted)."""
    return db.rows("SELECT s.analyze_count, c.reltuples FROM pg_stat_user_tables s"
                   " JOIN pg_class c ON c.oid = s.relid WHERE s.relid = 'idempotency_keys'::regclass")[0]


def insert_keys(db, user, prefix, count):
    """Keys inserted by a connection of their own: a backend hands in its statistics when it ends."""
    conn = psycopg2.connect(db.url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO idempotency_keys (user_id, key, token)"
                        " SELECT %s, %s || i, %s || i FROM generate_series(1, %s) i", (user, prefix, prefix, count))
    finally:
        conn.close()


def test_idempotency_keys_are_analyzed_again_when_they_outgrow_their_statistics(db, topics, tmp_path):
    """The ingress's key binds are planned once per connection, from the statistics of the
    moment; when an on-sale fills the table that was small then, the expirer analyzes it
    within seconds (autovacuum's comes after a minute or more), and not again while the
    changes since are fewer than the rows counted."""
    (alice,) = db.users(1)
    # Autovacuum stays out of this database's table: its analysis would make the expirer's needless.
    db.rows("ALTER TABLE idempotency_keys SET (autovacuum_enabled = false); ANALYZE idempotency_keys; SELECT 1")
    analyses, rows = key_analyses(db)
    assert rows <= 0
    expirer, log = start_expirer(topics, db, tmp_path / "expirer.log")
    try:
        insert_keys(db, alice, "burst-", 8000)
        deadline = time.monotonic() + 10
        while key_analyses(db)[0] == analyses:
            assert time.monotonic() < deadline, "idempotency_keys was not analyzed again"
            time.sleep(0.2)
        analyses, rows = key_analyses(db)
        assert rows == 8000, rows
        insert_keys(db, alice, "few-", 2000)  # fewer than FT_KEY_STATS_CHANGES and than the rows counted
        time.sleep(5)  # two of the expirer's looks
        assert key_analyses(db)[0] == analyses, "analyzed again for 2,000 changes"
    finally:
        expirer.send_signal(signal.SIGTERM)
        assert expirer.wait(timeout=15) == 0
        log.close()
    text = (tmp_path / "expirer.log").read_text(errors="replace")
    assert text.count("expirer.key_stats_refreshed") == 1, text[-2000:]
    assert "ERROR: AddressSanitizer" not in text and "runtime error:" not in text
