"""The expirer turns time into EXPIRE commands: holds end without any other traffic,
also when the expirer was killed before they were due."""
import os
import signal
import subprocess
import time

from pipeline_support import BROKERS, new_token, now_ms, reserve, wait_decided


def start_expirer(topics, db, log_path):
    env = dict(os.environ, FT_DATABASE_URL=db.url, FT_KAFKA_BROKERS=BROKERS, FT_TOPIC_COMMANDS=topics.commands,
               FT_EXPIRER_INTERVAL_MS="200", FT_LOG_LEVEL="info", FT_EXPIRER_HTTP_PORT="0")
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
