"""How an ingress learns where a token stands, on private topics: from its own delivery
reports, from the commands topic (every instance's tokens, also after a restart), and
from the outcomes topic, where the partition writers publish outcomes and progress.
Outcome and progress messages are written here exactly as the worker writes them, so
that positions can be moved one step at a time; PostgreSQL answers for tokens decided
before the ingress started."""
import time

import pytest

from ft_support import assert_error, create_schedule, describe, new_user
from pipeline_helpers import RESERVE, Ingress, poll_path
from request_token import new_request_token

@pytest.fixture
def ingresses(tmp_path, topics):
    """Starts ingress processes on the private topics; all must stop cleanly at the end."""
    started = []

    def start(name="private"):
        ingress = Ingress(str(tmp_path), name=name, FT_TOPIC_COMMANDS=topics.commands,
                          FT_TOPIC_OUTCOMES=topics.outcomes)
        started.append(ingress)
        return ingress

    yield start
    for ingress in started:
        if not ingress.log.closed:
            ingress.stop()


@pytest.fixture
def hall(api, admin, catalog):
    made = create_schedule(api, admin.token, catalog["concert"], catalog["venue"])
    seats = api.get(f"/api/v1/seats/{made['id']}").body["seats"]
    return made["id"], seats


def poll(ingress, user, token):
    resp = ingress.api.get(poll_path(token), token=user.token)
    assert resp.status_code == 200, describe(resp)
    return resp.body


def poll_until(ingress, user, token, wanted, what, timeout=15):
    """Polls until wanted(body) holds (the tail reads asynchronously); returns the body.
    Until the instance has read the token, a poll may be 404 or 503."""
    deadline = time.monotonic() + timeout
    while True:
        resp = ingress.api.get(poll_path(token), token=user.token)
        if resp.status_code == 200 and wanted(resp.body):
            return resp.body
        assert resp.status_code in (200, 404, 503), describe(resp)
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}; last {describe(resp)}"
        time.sleep(0.05)


def request(ingress, user, schedule_id, **body):
    resp = ingress.api.post(RESERVE, {"scheduleId": schedule_id, **body}, token=user.token)
    assert resp.status_code == 202, describe(resp)
    return resp.body


def test_positions_follow_the_writer_and_outcomes_replace_waiting(ingresses, topics, user, hall):
    ingress = ingresses()
    schedule_id, seats = hall
    partition = schedule_id % topics.partitions
    tokens = [request(ingress, user, schedule_id, quantity=1) for _ in range(3)]
    assert [t["position"] for t in tokens] == [0, 1, 2], "fresh topic: offsets 0, 1, 2, nothing decided"
    t0, t1, t2 = (t["token"] for t in tokens)
    seen = {t2: [poll(ingress, user, t2)["position"]]}

    # the writer decides offset 0 (a hold of two seats), then reports its progress
    held_seats = [seats[4]["id"], seats[3]["id"]]
    expires_ms = int(time.time() * 1000) + 300_000
    topics.outcome(t0, user.id, schedule_id, partition, 0, "HELD", reservationId=1024 + partition,
                   amount=seats[3]["price"] + seats[4]["price"], expiresAt=expires_ms, seatIds=held_seats)
    topics.progress(partition, 1, rate=100.0)
    first = poll_until(ingress, user, t0, lambda b: b["status"] == "HELD", "t0 HELD")
    assert first["reservationId"] == 1024 + partition
    assert [s["id"] for s in first["seats"]] == [seats[3]["id"], seats[4]["id"]], "by row, then number"
    assert first["seats"][0] == {k: seats[3][k] for k in ("id", "row", "number", "grade", "price")}
    assert first["amount"] == seats[3]["price"] + seats[4]["price"]
    assert first["expiresAt"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires_ms // 1000))

    waiting = poll_until(ingress, user, t2, lambda b: b["position"] == 1, "t2 at 1")
    assert waiting["status"] == "WAITING"
    assert waiting["etaMs"] == 10, "1 command ahead at 100 a second"
    assert waiting["pollAfterMs"] == 250
    assert poll(ingress, user, t1)["position"] == 0
    seen[t2].append(waiting["position"])

    topics.outcome(t1, user.id, schedule_id, partition, 1, "REJECTED", code="NO_ADJACENT_SEATS")
    topics.progress(partition, 2, rate=100.0)
    rejected = poll_until(ingress, user, t1, lambda b: b["status"] == "REJECTED", "t1 REJECTED")
    assert rejected == {"token": t1, "status": "REJECTED", "code": "NO_ADJACENT_SEATS"}
    seen[t2].append(poll_until(ingress, user, t2, lambda b: b["position"] == 0, "t2 at 0")["position"])

    # a late or repeated progress message never moves a position back up
    topics.progress(partition, 1, rate=100.0)
    topics.progress((partition + 1) % topics.partitions, 7, rate=5.0)
    time.sleep(0.5)
    seen[t2].append(poll(ingress, user, t2)["position"])
    assert seen[t2] == sorted(seen[t2], reverse=True), f"positions of t2 over time: {seen[t2]}"
    assert seen[t2][-1] == 0

    stranger = new_user(ingress.api)
    for token in (t0, t1, t2):
        assert_error(ingress.api.get(poll_path(token), token=stranger.token), 404, "NOT_FOUND")


def test_any_instance_answers_any_token_and_a_restarted_one_too(ingresses, topics, user, hall):
    schedule_id, _ = hall
    partition = schedule_id % topics.partitions
    first = ingresses("first")
    accepted = [request(first, user, schedule_id, quantity=2) for _ in range(2)]
    second = ingresses("second")  # started after: it learns the tokens from the commands topic
    for answer in accepted:
        status = poll_until(second, user, answer["token"], lambda b: True, "the second instance knows it")
        assert status["status"] == "WAITING" and status["position"] == answer["position"]
    stranger = new_user(second.api)
    assert_error(second.api.get(poll_path(accepted[0]["token"]), token=stranger.token), 404, "NOT_FOUND")

    first.kill()  # kill -9 after its 202s
    again = ingresses("restarted")
    for answer in accepted:
        status = poll_until(again, user, answer["token"], lambda b: True, "the restarted instance knows it")
        assert status["position"] == answer["position"]

    topics.progress(partition, 1, rate=0.0)
    for instance in (second, again):
        moved = poll_until(instance, user, accepted[1]["token"], lambda b: b["position"] == 0,
                           "progress reaches every instance")
        assert moved["status"] == "WAITING"


def test_tokens_decided_before_start_are_read_from_postgresql(api, user, hall, db):
    """The session's ingress never saw these tokens: their outcomes are in PostgreSQL only."""
    schedule_id, seats = hall
    rejected, held = new_request_token(), new_request_token()
    db.rows("INSERT INTO request_outcomes (token, user_id, schedule_id, partition, log_offset, status, reject_code,"
            " decided_at) VALUES (%s, %s, %s, 0, 0, 'REJECTED', 'SOLD_OUT', now()) RETURNING 1",
            rejected, user.id, schedule_id)
    reservation = db.value("SELECT coalesce(max(id), 0) + 1024 FROM reservations")
    chosen = [seats[1], seats[0]]
    db.rows("INSERT INTO reservations (id, user_id, schedule_id, status, amount, held_at, expires_at)"
            " VALUES (%s, %s, %s, 'HELD', %s, now(), timestamptz '2030-01-02 03:04:05.678+00') RETURNING 1",
            reservation, user.id, schedule_id, sum(s["price"] for s in chosen))
    for seat in chosen:
        db.rows("INSERT INTO reservation_seats (reservation_id, schedule_id, live, seat_id) VALUES (%s, %s, true, %s)"
                " RETURNING 1", reservation, schedule_id, seat["id"])
    db.rows("INSERT INTO request_outcomes (token, user_id, schedule_id, partition, log_offset, status,"
            " reservation_id, decided_at) VALUES (%s, %s, %s, 0, 1, 'HELD', %s, now()) RETURNING 1",
            held, user.id, schedule_id, reservation)

    assert api.get(poll_path(rejected), token=user.token).body == \
        {"token": rejected, "status": "REJECTED", "code": "SOLD_OUT"}
    body = api.get(poll_path(held), token=user.token).body
    assert body["status"] == "HELD" and body["reservationId"] == reservation
    assert [s["id"] for s in body["seats"]] == [seats[0]["id"], seats[1]["id"]]
    assert body["amount"] == seats[0]["price"] + seats[1]["price"]
    assert body["expiresAt"] == "2030-01-02T03:04:05Z"
    stranger = new_user(api)
    for token in (rejected, held):
        assert_error(api.get(poll_path(token), token=stranger.token), 404, "NOT_FOUND")
