"""The owner's actions with the real worker: cancel an unpaid hold through the partition
(repeatable, owner only), and list one's reservations."""
import time

import psycopg2

from ft_support import describe, new_user
from pipeline_helpers import RESERVE, Kafka
from test_reservations_worker import admin_and_schedule, decided, processes  # noqa: F401


def hold(ingress, user, schedule_id, seat_ids):
    resp = ingress.api.post(RESERVE, {"scheduleId": schedule_id, "seatIds": seat_ids}, token=user.token)
    assert resp.status_code == 202, describe(resp)
    answer, _ = decided(ingress, user, resp.body["token"])
    assert answer["status"] == "HELD", answer
    return answer


def seat_status(ingress, schedule_id, seat_id):
    seats = ingress.api.get(f"/api/v1/seats/{schedule_id}").body["seats"]
    return next(s["status"] for s in seats if s["id"] == seat_id)


def wait_seat(ingress, schedule_id, seat_id, status, timeout=15):
    deadline = time.monotonic() + timeout
    while seat_status(ingress, schedule_id, seat_id) != status:
        assert time.monotonic() < deadline, f"seat {seat_id} never became {status}"
        time.sleep(0.1)


def test_cancel_frees_the_seat_once_and_repeating_it_changes_nothing(processes, database):
    start_ingress, start_worker = processes
    ingress = start_ingress()
    start_worker()
    schedule = admin_and_schedule(ingress, database)
    seat = ingress.api.get(f"/api/v1/seats/{schedule['id']}").body["seats"][0]["id"]
    alice, bob = new_user(ingress.api), new_user(ingress.api)
    held = hold(ingress, alice, schedule["id"], [seat])
    wait_seat(ingress, schedule["id"], seat, "HELD", timeout=1)  # the map shows a hold within a second

    path = f"/api/v1/reservations/{held['reservationId']}"
    first = ingress.api.delete(path, token=alice.token)
    assert first.status_code == 202, describe(first)
    assert first.body == {"id": held["reservationId"], "status": "CANCELLING"}
    wait_seat(ingress, schedule["id"], seat, "AVAILABLE", timeout=3)

    again = ingress.api.delete(path, token=alice.token)
    assert again.status_code == 200, describe(again)
    assert again.body == {"id": held["reservationId"], "status": "CANCELLED"}

    # The seat sells again, and the old reservation's cancel cannot touch the new hold.
    resold = hold(ingress, bob, schedule["id"], [seat])
    assert ingress.api.delete(path, token=alice.token).status_code == 200
    time.sleep(0.5)
    assert seat_status(ingress, schedule["id"], seat) == "HELD"
    mine = ingress.api.get("/api/v1/reservations/my", token=bob.token).body["items"]
    assert [(r["id"], r["status"]) for r in mine] == [(resold["reservationId"], "HELD")]


def test_only_the_owner_may_cancel_and_refusals_queue_nothing(processes, database, topics):
    start_ingress, start_worker = processes
    ingress = start_ingress()
    start_worker()
    schedule = admin_and_schedule(ingress, database)
    seat = ingress.api.get(f"/api/v1/seats/{schedule['id']}").body["seats"][0]["id"]
    alice, mallory = new_user(ingress.api), new_user(ingress.api)
    held = hold(ingress, alice, schedule["id"], [seat])
    path = f"/api/v1/reservations/{held['reservationId']}"

    before = Kafka().ends(topics.commands)
    assert ingress.api.delete(path, token=mallory.token).status_code == 404
    assert ingress.api.delete("/api/v1/reservations/987654321", token=alice.token).status_code == 404
    assert ingress.api.delete("/api/v1/reservations/-4", token=alice.token).status_code == 400
    assert ingress.api.delete(path).status_code == 401
    assert ingress.api.get("/api/v1/reservations/my").status_code == 401
    assert Kafka().ends(topics.commands) == before, "a refused cancel put nothing on the queue"
    time.sleep(0.3)
    assert seat_status(ingress, schedule["id"], seat) == "HELD"


def test_my_reservations_are_the_callers_newest_first_with_their_seats(processes, database):
    start_ingress, start_worker = processes
    ingress = start_ingress()
    start_worker()
    schedule = admin_and_schedule(ingress, database)
    seats = ingress.api.get(f"/api/v1/seats/{schedule['id']}").body["seats"]
    alice, bob = new_user(ingress.api), new_user(ingress.api)
    first = hold(ingress, alice, schedule["id"], [seats[0]["id"]])
    second = hold(ingress, alice, schedule["id"], [seats[1]["id"], seats[2]["id"]])
    hold(ingress, bob, schedule["id"], [seats[3]["id"]])

    mine = ingress.api.get("/api/v1/reservations/my", token=alice.token)
    assert mine.status_code == 200, describe(mine)
    items = mine.body["items"]
    assert [r["id"] for r in items] == [second["reservationId"], first["reservationId"]]
    assert [s["id"] for s in items[0]["seats"]] == [seats[1]["id"], seats[2]["id"]]
    assert items[0]["amount"] == seats[1]["price"] + seats[2]["price"]
    assert items[0]["status"] == "HELD" and items[0]["endedAt"] is None
    assert items[0]["scheduleId"] == schedule["id"]
    assert len(ingress.api.get("/api/v1/reservations/my", token=bob.token).body["items"]) == 1


def test_the_seat_map_is_read_from_postgresql_at_most_once_per_moment(processes, database):
    """Under load the map is served from memory: 200 reads in a burst cost PostgreSQL a
    handful of queries (pg_stat_statements is not needed: the server counts its reads)."""
    start_ingress, _ = processes
    ingress = start_ingress()
    schedule = admin_and_schedule(ingress, database)
    path = f"/api/v1/seats/{schedule['id']}"
    with psycopg2.connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT sum(xact_commit) FROM pg_stat_database WHERE datname = current_database()")
        before = cur.fetchone()[0]
    started = time.monotonic()
    bodies = {ingress.api.get(path).text for _ in range(200)}
    elapsed = time.monotonic() - started
    with psycopg2.connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_stat_force_next_flush()")
        time.sleep(0.6)  # statistics reach pg_stat_database within half a second
        cur.execute("SELECT sum(xact_commit) FROM pg_stat_database WHERE datname = current_database()")
        after = cur.fetchone()[0]
    assert len(bodies) == 1
    # Each read of the map is one transaction; allow the catalog refresher's and our own.
    assert after - before <= 20 + 4 * (elapsed / 0.25 + 1), f"{after - before} transactions for 200 reads"
