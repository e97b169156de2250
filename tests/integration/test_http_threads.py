"""An HTTP thread serves the reservations and polls of all its connections, so a route
that reads PostgreSQL runs on the blocking pool (routes.c): PostgreSQL waiting must not
stall the thread's other requests."""
import threading
import time

import psycopg2

from payment_helpers import Stack


def test_a_read_waiting_on_postgresql_holds_up_no_one_else(tmp_path, topics, database):
    stack = Stack(tmp_path, topics, database, FT_HTTP_THREADS="1", FT_HTTP_BLOCKING_THREADS="2")
    locker = psycopg2.connect(database)
    try:
        user = stack.buyer()
        time.sleep(0.5)  # the seat map the set-up read is stale now: the next read asks PostgreSQL
        with locker.cursor() as cur:
            cur.execute("LOCK TABLE seats IN ACCESS EXCLUSIVE MODE")  # held until the rollback below
        answers = {}
        reading = threading.Thread(target=lambda: answers.update(
            seats=stack.api.get(f"/api/v1/seats/{stack.schedule['id']}")))
        reading.start()
        time.sleep(0.3)  # the seat map is waiting on the lock now
        started = time.monotonic()
        assert stack.api.get("/healthz").status_code == 200
        assert stack.api.get("/metrics").status_code == 200
        others = time.monotonic() - started
        assert reading.is_alive(), "the seat map was not waiting on PostgreSQL while the others were answered"
        assert others < 1.0, f"other requests took {others:.2f} s behind a read waiting on PostgreSQL"
        locker.rollback()
        reading.join(10)
        assert answers["seats"].status_code == 200
        assert len(answers["seats"].body["seats"]) > 0
        assert stack.api.get("/api/v1/users/me", token=user.token).status_code == 200
    finally:
        locker.close()
        stack.stop()
