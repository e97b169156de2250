"""An HTTP thread serves the reservations and polls of all its connections, so a route
that reads PostgreSQL runs on the blocking pool (routes.c), and so does a poll that must
read it: PostgreSQL waiting must not stall the thread's other requests."""
import threading
import time

import psycopg2

from payment_helpers import Stack
from request_token import new_request_token


def assert_answered_while_a_read_waits(stack, table, slow_get):
    """Locks `table`, starts slow_get() (which reads it), and checks that the HTTP thread's
    other requests are answered while it waits; returns slow_get's answer."""
    locker = psycopg2.connect(stack.database)
    try:
        with locker.cursor() as cur:
            cur.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")  # held until the rollback below
        answers = {}
        reading = threading.Thread(target=lambda: answers.update(slow=slow_get()))
        reading.start()
        time.sleep(0.3)  # the read is waiting on the lock now
        started = time.monotonic()
        assert stack.api.get("/healthz").status_code == 200
        assert stack.api.get("/metrics").status_code == 200
        others = time.monotonic() - started
        assert reading.is_alive(), "the read was not waiting on PostgreSQL while the others were answered"
        assert others < 1.0, f"other requests took {others:.2f} s behind a read waiting on PostgreSQL"
        locker.rollback()
        reading.join(10)
        return answers["slow"]
    finally:
        locker.close()


def test_a_read_waiting_on_postgresql_holds_up_no_one_else(tmp_path, topics, database):
    stack = Stack(tmp_path, topics, database, FT_HTTP_THREADS="1", FT_HTTP_BLOCKING_THREADS="2")
    try:
        user = stack.buyer()
        time.sleep(0.5)  # the seat map the set-up read is stale now: the next read asks PostgreSQL
        seats = assert_answered_while_a_read_waits(
            stack, "seats", lambda: stack.api.get(f"/api/v1/seats/{stack.schedule['id']}"))
        assert seats.status_code == 200
        assert len(seats.body["seats"]) > 0
        assert stack.api.get("/api/v1/users/me", token=user.token).status_code == 200
    finally:
        stack.stop()


def test_a_poll_of_a_token_not_in_memory_holds_up_no_one_else(tmp_path, topics, database):
    """The poll route is answered on the HTTP thread from memory; a token the registry does
    not hold (issued before a restart, or guessed) is read from PostgreSQL on the pool."""
    stack = Stack(tmp_path, topics, database, FT_HTTP_THREADS="1", FT_HTTP_BLOCKING_THREADS="2")
    try:
        user = stack.buyer()
        unknown = new_request_token()
        poll = assert_answered_while_a_read_waits(
            stack, "request_outcomes",
            lambda: stack.api.get(f"/api/v1/reservations/requests/{unknown}", token=user.token))
        assert poll.status_code == 404 and poll.body["error"]["code"] == "NOT_FOUND", poll.body
    finally:
        stack.stop()


def test_binding_an_idempotency_key_holds_up_no_one_else(tmp_path, topics, database):
    """The browser sends an Idempotency-Key with every reservation; binding it waits for a
    PostgreSQL commit, on the pool, and the command is produced from there."""
    stack = Stack(tmp_path, topics, database, FT_HTTP_THREADS="1", FT_HTTP_BLOCKING_THREADS="2")
    try:
        user = stack.buyer()
        body = {"scheduleId": stack.schedule["id"], "quantity": 1}
        keyed = assert_answered_while_a_read_waits(
            stack, "idempotency_keys",
            lambda: stack.api.post("/api/v1/reservations", body, token=user.token,
                                   headers={"Idempotency-Key": "k-1"}))
        assert keyed.status_code == 202, keyed.body
        again = stack.api.post("/api/v1/reservations", body, token=user.token, headers={"Idempotency-Key": "k-1"})
        assert again.status_code == 202 and again.body["token"] == keyed.body["token"]
    finally:
        stack.stop()


def test_a_cancel_checking_its_reservation_holds_up_no_one_else(tmp_path, topics, database):
    """DELETE /api/v1/reservations/{id} reads whose reservation it is from PostgreSQL, on
    the pool; any logged-in client can send one, so it must not stall an HTTP thread."""
    stack = Stack(tmp_path, topics, database, FT_HTTP_THREADS="1", FT_HTTP_BLOCKING_THREADS="2")
    try:
        user = stack.buyer()
        cancel = assert_answered_while_a_read_waits(
            stack, "reservations", lambda: stack.api.call("DELETE", "/api/v1/reservations/987654321", token=user.token))
        assert cancel.status_code == 404 and cancel.body["error"]["code"] == "NOT_FOUND", cancel.body
    finally:
        stack.stop()
