"""End to end with the real worker on private topics and a database of their own
(reservation ids derive from the log's offsets: one commands topic per database):
requests are decided in queue order, the owner's polls go from WAITING to HELD or
REJECTED, the answer from memory and the one from PostgreSQL (after a restart) are the
same, and tokens answered 202 by an ingress killed with -9 still resolve through a new
one."""
import os
import secrets
import subprocess
import time

import psycopg2
import pytest

from ft_support import create_concert, create_schedule, create_venue, describe, login, new_user
from pipeline_helpers import RESERVE, Ingress, poll_path
from service import Service

def Worker(topics, database, log_dir):
    env = dict(os.environ, FT_DATABASE_URL=database,
               FT_TOPIC_COMMANDS=topics.commands, FT_TOPIC_OUTCOMES=topics.outcomes,
               FT_WORKER_GROUP="ft.it.ingress.workers." + secrets.token_hex(4), FT_WORKER_HTTP_PORT="0",
               FT_LOG_LEVEL="info")
    return Service(os.environ.get("FT_WORKER_BIN"), log_dir, "worker", env)


@pytest.fixture
def processes(tmp_path, topics, database):
    started = []

    def ingress(name="ingress"):
        made = Ingress(str(tmp_path), name=name, FT_TOPIC_COMMANDS=topics.commands, FT_TOPIC_OUTCOMES=topics.outcomes,
                       FT_DATABASE_URL=database)
        started.append(made)
        return made

    def worker():
        made = Worker(topics, database, str(tmp_path))
        started.append(made)
        return made

    yield ingress, worker
    for process in reversed(started):
        if not process.log.closed:
            process.stop()


def decided(instance, user, token, timeout=60):
    """Polls like a client, following pollAfterMs, until the request is decided; returns
    the final answer and the positions seen while waiting."""
    positions = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        resp = instance.api.get(poll_path(token), token=user.token)
        assert resp.status_code in (200, 503), describe(resp)  # 503 only while a new instance reads the queue
        if resp.status_code == 200:
            if resp.body["status"] != "WAITING":
                return resp.body, positions
            positions.append(resp.body["position"])
            time.sleep(min(resp.body["pollAfterMs"], 250) / 1000)
        else:
            time.sleep(0.1)
    raise AssertionError(f"{token} not decided within {timeout}s")


def admin_and_schedule(ingress, database, rows=None):
    """An operator admin in the private database, and a schedule of the LAYOUT hall (or of `rows`)."""
    email, password = f"admin-{secrets.token_hex(4)}@example.com", "pw-" + secrets.token_hex(8)
    env = dict(os.environ, FT_ADMIN_PASSWORD=password, FT_DATABASE_URL=database)
    done = subprocess.run([os.environ["FT_ADMIN_BIN"], "create-admin", "--email", email, "--name", "Admin"],
                          env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    token = login(ingress.api, email, password)
    venue = create_venue(ingress.api, token, rows=rows) if rows else create_venue(ingress.api, token)
    concert = create_concert(ingress.api, token)
    return create_schedule(ingress.api, token, concert["id"], venue["id"])


def test_first_come_first_served_and_memory_agrees_with_postgresql(processes, database):
    start_ingress, start_worker = processes
    ingress = start_ingress()
    made = admin_and_schedule(ingress, database)
    seats = ingress.api.get(f"/api/v1/seats/{made['id']}").body["seats"]
    alice, bob = new_user(ingress.api), new_user(ingress.api)
    wanted = seats[1]["id"]
    first = ingress.api.post(RESERVE, {"scheduleId": made["id"], "seatIds": [wanted]}, token=alice.token)
    second = ingress.api.post(RESERVE, {"scheduleId": made["id"], "seatIds": [wanted]}, token=bob.token)
    third = ingress.api.post(RESERVE, {"scheduleId": made["id"], "quantity": 2, "grade": "R"}, token=bob.token)
    for resp in (first, second, third):
        assert resp.status_code == 202, describe(resp)
    assert [r.body["position"] for r in (first, second, third)] == [0, 1, 2]
    start_worker()

    held, waited = decided(ingress, alice, first.body["token"])
    assert waited == sorted(waited, reverse=True), f"positions only go down: {waited}"
    assert held["status"] == "HELD" and [s["id"] for s in held["seats"]] == [wanted]
    assert held["amount"] == seats[1]["price"]
    taken, _ = decided(ingress, bob, second.body["token"])
    assert taken == {"token": second.body["token"], "status": "REJECTED", "code": "SEAT_TAKEN"}
    pair, _ = decided(ingress, bob, third.body["token"])
    assert pair["status"] == "HELD" and {s["grade"] for s in pair["seats"]} == {"R"}
    assert [s["number"] for s in pair["seats"]] == sorted(s["number"] for s in pair["seats"])
    with psycopg2.connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT status FROM reservations WHERE id = %s", (held["reservationId"],))
        assert cur.fetchone() == ("HELD",)

    # a new instance has none of this in memory: PostgreSQL answers, with the same documents
    ingress.stop()
    fresh = start_ingress("fresh")
    for user, answer in ((alice, held), (bob, taken), (bob, pair)):
        again, _ = decided(fresh, user, answer["token"])
        assert again == answer


def test_tokens_of_a_killed_ingress_resolve_through_a_new_one(processes, database):
    start_ingress, start_worker = processes
    ingress = start_ingress("doomed")
    made = admin_and_schedule(ingress, database)
    buyers = [new_user(ingress.api) for _ in range(5)]
    accepted = []
    for buyer in buyers:
        resp = ingress.api.post(RESERVE, {"scheduleId": made["id"], "quantity": 2}, token=buyer.token)
        assert resp.status_code == 202, describe(resp)
        accepted.append((buyer, resp.body["token"]))
    ingress.kill()  # kill -9 right after its 202s
    start_worker()
    survivor = start_ingress("survivor")
    outcomes = [decided(survivor, buyer, token)[0] for buyer, token in accepted]
    statuses = [o["status"] for o in outcomes]
    held = statuses.count("HELD")
    # rows of 3, 4 and 2 seats hold at most 4 adjacent pairs: the last request cannot be
    # served, and with equal requests first come, first served means holds, then refusals
    assert 3 <= held <= 4 and statuses == ["HELD"] * held + ["REJECTED"] * (5 - held), statuses
    assert all(o["code"] in ("SOLD_OUT", "NO_ADJACENT_SEATS") for o in outcomes[held:]), outcomes
