"""Replaying the log from offset 0 into a database that holds only the catalog rebuilds
the same state, byte for byte: the digest equals the live database's."""
import os
import random
import subprocess

from pipeline_support import BROKERS, cancel, expire, fresh_database, new_token, now_ms, reserve, wait_decided

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
