"""A worker loads the open schedules of its partitions while its log is quiet, so that an
on-sale's first commands do not wait for their schedules' seats to be read."""
import re
import time

import requests

from pipeline_support import new_token, now_ms, reserve, wait_decided
from test_ops import free_port


def schedule_loads(base):
    text = requests.get(base + "/metrics", timeout=5).text
    return int(re.search(r"^ft_worker_schedule_loads_total (\d+)$", text, re.M).group(1))


def wait_loads(base, expected, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            loads = schedule_loads(base)
        except requests.RequestException:
            loads = None
        if loads == expected:
            return
        assert loads is None or loads < expected, f"loaded {loads} schedules, expected {expected}"
        assert time.monotonic() < deadline, f"loaded {loads} schedules in {timeout}s, expected {expected}"
        time.sleep(0.2)


def test_open_schedules_are_loaded_before_their_first_command_with_their_holds(db, topics, workers):
    users = db.users(2)
    opened = [db.schedule() for _ in range(3)]
    db.schedule(status="CLOSED")
    schedule, seats = opened[0]
    held_seat, free_seat = seats[1][0], seats[1][1]

    first = workers(topics, db)
    topics.send(reserve(new_token(), users[0], schedule, now_ms(), seat_ids=[held_seat]))
    topics.flush()
    wait_decided(db, topics)
    first.stop()

    port = free_port()
    workers(topics, db, FT_WORKER_HTTP_PORT=port)
    base = f"http://127.0.0.1:{port}"
    wait_loads(base, 3)  # the open ones, not the closed one
    time.sleep(1)
    assert schedule_loads(base) == 3

    # The preloaded state holds the first worker's hold; nothing needs loading again.
    taken, free = new_token(), new_token()
    ts = now_ms()
    topics.send(reserve(taken, users[1], schedule, ts, seat_ids=[held_seat]))
    topics.send(reserve(free, users[1], schedule, ts + 1, seat_ids=[free_seat]))
    topics.flush()
    wait_decided(db, topics)
    outcomes = db.outcomes([taken, free])
    assert outcomes[taken][:2] == ("REJECTED", "SEAT_TAKEN")
    assert outcomes[free][0] == "HELD"
    assert schedule_loads(base) == 3


def scans_of_reservations(db):
    """(sequential, index) scans of reservations so far, as the statistics have them."""
    return db.rows("SELECT seq_scan, coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'reservations'")[0]


def test_a_schedules_holds_are_read_through_an_index_not_the_whole_history(db, topics, workers):
    """Loading a schedule reads its live reservations only: with a long history of ended
    ones (of another schedule), no sequential scan of reservations."""
    user = db.users(1)[0]
    old, _ = db.schedule(status="CLOSED")
    db.schedule()  # open: the one the worker loads
    with db.conn.cursor() as cur:
        cur.execute("INSERT INTO reservations (id, user_id, schedule_id, status, amount, held_at, expires_at,"
                    "                          ended_at)"
                    " SELECT g, %s, %s, 'EXPIRED', 10000, now() - interval '1 day',"
                    "        now() - interval '1 day' + interval '5 minutes',"
                    "        now() - interval '1 day' + interval '5 minutes'"
                    " FROM generate_series(1, 50000) g", (user, old))
        cur.execute("ANALYZE reservations")
    before = scans_of_reservations(db)

    port = free_port()
    worker = workers(topics, db, FT_WORKER_HTTP_PORT=port)
    wait_loads(f"http://127.0.0.1:{port}", 1)  # the open one
    worker.stop()  # a backend hands in its statistics when it ends

    deadline = time.monotonic() + 10
    while scans_of_reservations(db)[1] == before[1] and time.monotonic() < deadline:
        time.sleep(0.2)
    after = scans_of_reservations(db)
    assert after[1] > before[1], "the schedule's holds were not read through an index"
    assert after[0] == before[0], "loading one schedule read every reservation"
