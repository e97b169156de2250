"""POST /api/v1/reservations and GET /api/v1/reservations/requests/{token} against the
session's ingress, the real PostgreSQL and the real Kafka broker (no worker runs on the
session's topics, so every accepted request stays WAITING here): what needs no queue is
refused at once and nothing reaches Kafka; an accepted request is in the topic before
its 202, at the place its position says; tokens are their owner's alone; an
Idempotency-Key makes a retry return the same token without a second command."""
import concurrent.futures
import json
import os
import time
import uuid
from contextlib import contextmanager

import pytest

from ft_support import MAX_ID, assert_error, create_schedule, describe, matching, new_user, scrape
from pipeline_helpers import Kafka

COMMANDS = os.environ["FT_TOPIC_COMMANDS"]
RESERVE = "/api/v1/reservations"


def poll_path(token):
    return f"/api/v1/reservations/requests/{token}"


@pytest.fixture(scope="session")
def kafka():
    probe = Kafka()
    yield probe
    probe.close()


@pytest.fixture
def nothing_queued(kafka, api):
    """`with nothing_queued(): ...` — the block must put nothing on the commands topic."""
    @contextmanager
    def guard():
        before = kafka.ends(COMMANDS)
        yield
        assert kafka.ends(COMMANDS) == before, "a refused request reached Kafka"
        api.healthy()
    return guard


@pytest.fixture
def schedule(api, admin, catalog):
    """A fresh open schedule (the LAYOUT hall: 3 VIP, 4 R, 2 A) with its seat ids by row."""
    made = create_schedule(api, admin.token, catalog["concert"], catalog["venue"])
    seats = api.get(f"/api/v1/seats/{made['id']}").body["seats"]
    rows = {}
    for seat in seats:
        rows.setdefault(seat["row"], []).append(seat["id"])
    return {"id": made["id"], "rows": rows, "seats": [s["id"] for s in seats]}


def partition_of(kafka, schedule_id):
    return schedule_id % kafka.partitions(COMMANDS)


def decided(db, partition):
    """The partition writer's next offset as PostgreSQL has it (0 when no writer ran)."""
    rows = db.rows("SELECT next_offset FROM partition_offsets WHERE topic = %s AND partition = %s",
                   COMMANDS, partition)
    return rows[0][0] if rows else 0


def reserve(api, user, body, **headers):
    return api.post(RESERVE, body, token=user.token, headers=headers)


# --- refused at once, nothing queued ------------------------------------------------------

BAD_BODIES = [  # (id, body builder from the schedule, status, code, field)
    ("empty", lambda s: b"", 400, "MALFORMED_JSON", None),
    ("not json", lambda s: b"{scheduleId: 1}", 400, "MALFORMED_JSON", None),
    ("truncated", lambda s: b'{"scheduleId": 1, "seatIds": [', 400, "MALFORMED_JSON", None),
    ("array", lambda s: [], 400, "INVALID_TYPE", None),
    ("no schedule", lambda s: {"quantity": 1}, 400, "MISSING_FIELD", "scheduleId"),
    ("null schedule", lambda s: {"scheduleId": None, "quantity": 1}, 400, "MISSING_FIELD", "scheduleId"),
    ("schedule as text", lambda s: {"scheduleId": str(s["id"]), "quantity": 1}, 400, "INVALID_TYPE", "scheduleId"),
    ("schedule as float", lambda s: {"scheduleId": s["id"] + 0.5, "quantity": 1}, 400, "INVALID_TYPE",
     "scheduleId"),
    ("neither form", lambda s: {"scheduleId": s["id"]}, 400, "MISSING_FIELD", "seatIds"),
    ("seats not array", lambda s: {"scheduleId": s["id"], "seatIds": s["seats"][0]}, 400, "INVALID_TYPE",
     "seatIds"),
    ("seat as text", lambda s: {"scheduleId": s["id"], "seatIds": [str(s["seats"][0])]}, 400, "INVALID_TYPE",
     "seatIds"),
    ("quantity as text", lambda s: {"scheduleId": s["id"], "quantity": "2"}, 400, "INVALID_TYPE", "quantity"),
    ("grade as number", lambda s: {"scheduleId": s["id"], "quantity": 2, "grade": 1}, 400, "INVALID_TYPE",
     "grade"),
    ("misspelt grade", lambda s: {"scheduleId": s["id"], "quantity": 2, "grad": "VIP"}, 400, "UNKNOWN_FIELD",
     "grad"),
    ("schedule zero", lambda s: {"scheduleId": 0, "quantity": 1}, 422, "VALIDATION_FAILED", "scheduleId"),
    ("no seats", lambda s: {"scheduleId": s["id"], "seatIds": []}, 422, "VALIDATION_FAILED", "seatIds"),
    ("five seats", lambda s: {"scheduleId": s["id"], "seatIds": s["seats"][:5]}, 422, "VALIDATION_FAILED",
     "seatIds"),
    ("same seat twice", lambda s: {"scheduleId": s["id"], "seatIds": [s["seats"][0]] * 2}, 422,
     "VALIDATION_FAILED", "seatIds"),
    ("seat zero", lambda s: {"scheduleId": s["id"], "seatIds": [0]}, 422, "VALIDATION_FAILED", "seatIds"),
    ("quantity zero", lambda s: {"scheduleId": s["id"], "quantity": 0}, 422, "VALIDATION_FAILED", "quantity"),
    ("quantity five", lambda s: {"scheduleId": s["id"], "quantity": 5}, 422, "VALIDATION_FAILED", "quantity"),
    ("unknown grade", lambda s: {"scheduleId": s["id"], "quantity": 1, "grade": "GOLD"}, 422,
     "VALIDATION_FAILED", "grade"),
    ("both forms", lambda s: {"scheduleId": s["id"], "quantity": 1, "seatIds": [s["seats"][0]]}, 422,
     "VALIDATION_FAILED", "seatIds"),
    ("grade with seats", lambda s: {"scheduleId": s["id"], "seatIds": [s["seats"][0]], "grade": "VIP"}, 422,
     "VALIDATION_FAILED", "grade"),
    ("seat of no schedule", lambda s: {"scheduleId": s["id"], "seatIds": [MAX_ID]}, 422, "VALIDATION_FAILED",
     "seatIds"),
    ("unknown schedule", lambda s: {"scheduleId": MAX_ID, "quantity": 1}, 404, "NOT_FOUND", None),
]


@pytest.mark.parametrize("name,build,status,code,field", BAD_BODIES, ids=[case[0] for case in BAD_BODIES])
def test_bad_request_is_refused_and_nothing_is_queued(api, user, schedule, nothing_queued, name, build, status,
                                                      code, field):
    body = build(schedule)
    with nothing_queued():
        if isinstance(body, bytes):
            resp = api.call("POST", RESERVE, token=user.token, data=body,
                            headers={"Content-Type": "application/json"})
        else:
            resp = reserve(api, user, body)
        assert_error(resp, status, code, field)


def test_seat_of_another_schedule_is_422(api, user, schedule, admin, catalog, nothing_queued):
    other = create_schedule(api, admin.token, catalog["concert"], catalog["venue"])
    foreign = api.get(f"/api/v1/seats/{other['id']}").body["seats"][0]["id"]
    with nothing_queued():
        resp = reserve(api, user, {"scheduleId": schedule["id"], "seatIds": [schedule["seats"][0], foreign]})
        error = assert_error(resp, 422, "VALIDATION_FAILED", "seatIds")
        assert str(foreign) in error["message"], error


def test_closed_schedule_is_409_once_the_catalog_sees_it(api, user, schedule, db, nothing_queued):
    db.rows("UPDATE schedules SET status = 'CLOSED' WHERE id = %s RETURNING id", schedule["id"])
    with nothing_queued():
        # A seat of no schedule is 422 while the schedule is open in memory and 409 once
        # it is closed there: a probe that never reaches the queue. The catalog is re-read
        # every 2 s.
        probe = {"scheduleId": schedule["id"], "seatIds": [MAX_ID]}
        deadline = time.monotonic() + 10
        while True:
            resp = reserve(api, user, probe)
            if resp.status_code == 409 or time.monotonic() > deadline:
                break
            assert_error(resp, 422, "VALIDATION_FAILED", "seatIds")
            time.sleep(0.2)
        assert_error(resp, 409, "SCHEDULE_CLOSED")
        assert_error(reserve(api, user, {"scheduleId": schedule["id"], "quantity": 1}), 409, "SCHEDULE_CLOSED")
        assert_error(reserve(api, user, {"scheduleId": schedule["id"], "seatIds": [schedule["seats"][0]]}), 409,
                     "SCHEDULE_CLOSED")


def test_a_schedule_made_elsewhere_is_reservable_within_seconds(api, user, admin, catalog, db):
    """Another ingress (here: plain SQL) creates a schedule: the periodic refresh finds it."""
    schedule_id = db.value(
        "WITH s AS (INSERT INTO schedules (concert_id, venue_id, starts_at) VALUES (%s, %s, now() + interval '9 days')"
        " RETURNING id), x AS (INSERT INTO seats (schedule_id, row_number, seat_number, grade, price)"
        " SELECT id, 1, n, 'S', 1000 FROM s, generate_series(1, 3) n) SELECT id FROM s",
        catalog["concert"], catalog["venue"])
    deadline = time.monotonic() + 10
    while True:
        resp = reserve(api, user, {"scheduleId": schedule_id, "quantity": 1})
        if resp.status_code != 404 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert resp.status_code == 202, describe(resp)


def test_without_a_valid_login_nothing_is_queued(api, schedule, nothing_queued):
    body = {"scheduleId": schedule["id"], "quantity": 1}
    with nothing_queued():
        assert_error(api.post(RESERVE, body), 401, "AUTH_REQUIRED")
        assert_error(api.post(RESERVE, body, token="not.a.jwt"), 401, "INVALID_TOKEN")


def test_wrong_content_type_and_oversized_body_queue_nothing(api, user, schedule, nothing_queued):
    body = json.dumps({"scheduleId": schedule["id"], "quantity": 1}).encode()
    with nothing_queued():
        resp = api.call("POST", RESERVE, token=user.token, data=body, headers={"Content-Type": "text/plain"})
        assert_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE")
        padded = body[:-1] + b', "pad": "' + b"x" * 40000 + b'"}'
        resp = api.call("POST", RESERVE, token=user.token, data=padded, headers={"Content-Type": "application/json"})
        assert_error(resp, 413, "BODY_TOO_LARGE")


@pytest.mark.parametrize("key", ["", "k" * 129, "tab\tin", "caf\u00e9".encode().decode("latin-1")],
                         ids=["empty", "129 chars", "control", "not ascii"])
def test_malformed_idempotency_key_is_400(api, user, schedule, db, nothing_queued, key):
    with nothing_queued():
        resp = reserve(api, user, {"scheduleId": schedule["id"], "quantity": 1}, **{"Idempotency-Key": key})
        assert_error(resp, 400, "INVALID_HEADER", "Idempotency-Key")
    assert db.value("SELECT count(*) FROM idempotency_keys WHERE user_id = %s", user.id) == 0


# --- accepted: durable before the answer --------------------------------------------------

def test_202_comes_after_the_command_is_in_the_topic(api, user, schedule, kafka, db):
    partition = partition_of(kafka, schedule["id"])
    before = kafka.ends(COMMANDS)
    seat = schedule["rows"][2][1]
    resp = reserve(api, user, {"scheduleId": schedule["id"], "seatIds": [seat]})
    assert resp.status_code == 202, describe(resp)
    token = resp.body["token"]
    after = kafka.ends(COMMANDS)
    expected = dict(before)
    expected[partition] += 1
    assert after == expected, "exactly one command, in the schedule's partition, before the 202"
    msg = kafka.read(COMMANDS, partition, before[partition])
    assert msg.key() == str(schedule["id"]).encode(), "keyed by the schedule id"
    command = json.loads(msg.value())
    assert command["type"] == "RESERVE" and command["v"] == 1
    assert command["token"] == token
    assert command["userId"] == user.id and command["scheduleId"] == schedule["id"]
    assert command["seatIds"] == [seat]
    assert command["holdSeconds"] > 0
    assert abs(command["ts"] / 1000 - time.time()) < 60, "ts is now, in milliseconds"
    # every command between the writer's next offset and this one is ahead of it
    assert resp.body["position"] == before[partition] - decided(db, partition), resp.body
    assert 250 <= resp.body["pollAfterMs"] <= 5000


def test_best_available_request_is_queued_with_its_grade(api, user, schedule, kafka):
    partition = partition_of(kafka, schedule["id"])
    start = kafka.ends(COMMANDS)[partition]
    resp = reserve(api, user, {"scheduleId": schedule["id"], "quantity": 2, "grade": "R"})
    assert resp.status_code == 202, describe(resp)
    command = json.loads(kafka.read(COMMANDS, partition, start).value())
    assert command["quantity"] == 2 and command["grade"] == "R" and "seatIds" not in command
    assert command["token"] == resp.body["token"]


def test_owner_polls_waiting_with_the_same_position(api, user, schedule, kafka, db):
    partition = partition_of(kafka, schedule["id"])
    tokens = []
    for _ in range(3):
        resp = reserve(api, user, {"scheduleId": schedule["id"], "quantity": 1})
        assert resp.status_code == 202, describe(resp)
        tokens.append((resp.body["token"], resp.body["position"]))
    positions = [p for _, p in tokens]
    assert positions == [positions[0], positions[0] + 1, positions[0] + 2], \
        "one partition, one queue: each request is one further back"
    for token, position in tokens:
        resp = api.get(poll_path(token), token=user.token)
        assert resp.status_code == 200, describe(resp)
        assert resp.body["status"] == "WAITING" and resp.body["token"] == token
        assert resp.body["position"] == position
        assert resp.body["etaMs"] is None, "no writer, no measured rate"
        assert resp.body["pollAfterMs"] >= 250
    assert kafka.ends(COMMANDS)[partition] == positions[-1] + 1 + decided(db, partition)


def test_another_users_token_is_404_like_an_unknown_one(api, user, schedule):
    resp = reserve(api, user, {"scheduleId": schedule["id"], "quantity": 1})
    assert resp.status_code == 202, describe(resp)
    token = resp.body["token"]
    stranger = new_user(api)
    theirs = assert_error(api.get(poll_path(token), token=stranger.token), 404, "NOT_FOUND")
    unknown = assert_error(api.get(poll_path("A" * 34), token=stranger.token), 404, "NOT_FOUND")
    assert theirs["message"] == unknown["message"], "nothing tells a stranger the token exists"
    assert api.get(poll_path(token), token=user.token).status_code == 200


@pytest.mark.parametrize("token", ["short", "A" * 35, "A" * 33 + "=", "A" * 33 + ".", "A" * 100],
                         ids=["short", "long", "padding", "dot", "longer than any path id"])
def test_malformed_token_is_400(api, user, token):
    assert_error(api.get(poll_path(token), token=user.token), 400, "INVALID_ID")


def test_polling_needs_a_login(api):
    assert_error(api.get(poll_path("A" * 34)), 401, "AUTH_REQUIRED")


# --- Idempotency-Key ---------------------------------------------------------------------

def test_a_retry_with_the_same_key_gets_the_same_token_and_queues_nothing(api, user, schedule, kafka, db):
    key = str(uuid.uuid4())
    body = {"scheduleId": schedule["id"], "seatIds": [schedule["rows"][1][0]]}
    before = kafka.ends(COMMANDS)
    first = reserve(api, user, body, **{"Idempotency-Key": key})
    assert first.status_code == 202, describe(first)
    after_first = kafka.ends(COMMANDS)
    assert sum(after_first.values()) == sum(before.values()) + 1
    for _ in range(3):
        again = reserve(api, user, body, **{"Idempotency-Key": key})
        assert again.status_code == 202, describe(again)
        assert again.body["token"] == first.body["token"]
        assert again.body["position"] == first.body["position"]
    assert kafka.ends(COMMANDS) == after_first, "a retry queues nothing"
    assert db.value("SELECT token FROM idempotency_keys WHERE user_id = %s AND key = %s", user.id, key) == \
        first.body["token"]
    # the key is the user's: another user, or another key, is another request
    other = new_user(api)
    theirs = reserve(api, other, body, **{"Idempotency-Key": key})
    assert theirs.status_code == 202 and theirs.body["token"] != first.body["token"]
    fresh = reserve(api, user, body, **{"Idempotency-Key": key + "-2"})
    assert fresh.status_code == 202 and fresh.body["token"] != first.body["token"]
    assert sum(kafka.ends(COMMANDS).values()) == sum(after_first.values()) + 2


def test_a_key_sent_again_with_another_request_is_422_and_queues_nothing(api, user, schedule, db, nothing_queued):
    """The key names one request. Answering another request with the first one's token
    would tell the client its new request was taken; it is refused instead. The same seats
    in another order are the same request."""
    key = str(uuid.uuid4())
    sid = schedule["id"]
    a, b = schedule["rows"][2][0], schedule["rows"][2][1]
    first = reserve(api, user, {"scheduleId": sid, "seatIds": [a, b]}, **{"Idempotency-Key": key})
    assert first.status_code == 202, describe(first)
    with nothing_queued():
        same = reserve(api, user, {"scheduleId": sid, "seatIds": [b, a]}, **{"Idempotency-Key": key})
        assert same.status_code == 202 and same.body["token"] == first.body["token"], describe(same)
        for other in ({"scheduleId": sid, "seatIds": [a]},
                      {"scheduleId": sid, "seatIds": [a, b, schedule["rows"][2][2]]},
                      {"scheduleId": sid, "quantity": 2}, {"scheduleId": sid, "quantity": 2, "grade": "VIP"}):
            error = assert_error(reserve(api, user, other, **{"Idempotency-Key": key}), 422, "IDEMPOTENCY_KEY_REUSED")
            assert "new key" in error["message"], error
    assert db.value("SELECT token FROM idempotency_keys WHERE user_id = %s AND key = %s", user.id, key) == \
        first.body["token"], "the key still names the first request"


def test_keys_sent_at_once_and_their_retries_racing_them_bind_one_request_each(api, user, schedule, kafka):
    """Keys are bound in batches (key_binder.c): a retry in the same batch as its first
    request, or the next one, must still name that request and queue nothing."""
    keys = [str(uuid.uuid4()) for _ in range(20)]
    body = {"scheduleId": schedule["id"], "quantity": 1}
    before = kafka.ends(COMMANDS)
    with concurrent.futures.ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(lambda key: (key, reserve(api, user, body, **{"Idempotency-Key": key})),
                                [k for k in keys for _ in range(3)]))
    for key in keys:
        mine = [resp for k, resp in answers if k == key]
        tokens = {resp.body["token"] for resp in mine if resp.status_code == 202}
        assert len(tokens) == 1, [describe(resp) for resp in mine]
        others = [resp for resp in mine if resp.status_code != 202]
        assert all(resp.status_code == 409 and resp.body["error"]["code"] == "REQUEST_IN_PROGRESS" for resp in others)
    assert sum(kafka.ends(COMMANDS).values()) == sum(before.values()) + len(keys), "one command per key"


def test_a_retry_after_the_schedule_closed_still_gets_its_token(api, user, schedule, db, nothing_queued):
    """The key names the request, whatever the catalog says now: a client whose 202 was
    lost, retrying as the schedule closes, learns its token and not a 409."""
    key = str(uuid.uuid4())
    body = {"scheduleId": schedule["id"], "quantity": 1}
    first = reserve(api, user, body, **{"Idempotency-Key": key})
    assert first.status_code == 202, describe(first)
    db.rows("UPDATE schedules SET status = 'CLOSED' WHERE id = %s RETURNING id", schedule["id"])
    with nothing_queued():
        deadline = time.monotonic() + 10  # the catalog is re-read every 2 s; the probe is 422 until then
        while reserve(api, user, {"scheduleId": schedule["id"], "seatIds": [MAX_ID]}).status_code != 409:
            assert time.monotonic() < deadline, "the catalog never saw the schedule closed"
            time.sleep(0.2)
        again = reserve(api, user, body, **{"Idempotency-Key": key})
        assert again.status_code == 202, describe(again)
        assert again.body["token"] == first.body["token"]
        assert_error(reserve(api, user, {"scheduleId": schedule["id"], "quantity": 2}, **{"Idempotency-Key": key}),
                     422, "IDEMPOTENCY_KEY_REUSED")
        assert_error(reserve(api, user, body, **{"Idempotency-Key": key + "-new"}), 409, "SCHEDULE_CLOSED")
    assert db.value("SELECT count(*) FROM idempotency_keys WHERE user_id = %s", user.id) == 1, "no key bound"


def test_a_key_of_an_account_that_no_longer_exists_is_refused_and_queues_nothing(api, schedule, db,
                                                                                nothing_queued):
    gone = new_user(api)
    db.rows("DELETE FROM users WHERE id = %s RETURNING id", gone.id)
    body = {"scheduleId": schedule["id"], "quantity": 1}
    with nothing_queued():
        assert_error(reserve(api, gone, body, **{"Idempotency-Key": str(uuid.uuid4())}), 401, "INVALID_TOKEN")
    assert db.value("SELECT count(*) FROM idempotency_keys WHERE user_id = %s", gone.id) == 0


def test_a_key_whose_request_never_reached_kafka_is_taken_over(api, user, schedule, kafka, db):
    """An ingress that died between binding the key and producing leaves a row behind:
    while young, a retry hears 409 REQUEST_IN_PROGRESS; once stale, the retry queues."""
    key = "orphan-" + uuid.uuid4().hex
    body = {"scheduleId": schedule["id"], "quantity": 1}
    db.rows("INSERT INTO idempotency_keys (user_id, key, token) VALUES (%s, %s, %s) RETURNING key",
            user.id, key, "B" * 34)
    before = kafka.ends(COMMANDS)
    resp = reserve(api, user, body, **{"Idempotency-Key": key})
    assert_error(resp, 409, "REQUEST_IN_PROGRESS")
    assert resp.headers["Retry-After"] == "1"
    assert kafka.ends(COMMANDS) == before
    db.rows("UPDATE idempotency_keys SET created_at = now() - interval '1 minute' WHERE user_id = %s AND key = %s"
            " RETURNING key", user.id, key)
    resp = reserve(api, user, body, **{"Idempotency-Key": key})
    assert resp.status_code == 202, describe(resp)
    assert resp.body["token"] != "B" * 34
    assert sum(kafka.ends(COMMANDS).values()) == sum(before.values()) + 1
    again = reserve(api, user, body, **{"Idempotency-Key": key})
    assert again.status_code == 202 and again.body["token"] == resp.body["token"]
    # the key now names the request that took it over
    assert_error(reserve(api, user, {"scheduleId": schedule["id"], "quantity": 3}, **{"Idempotency-Key": key}),
                 422, "IDEMPOTENCY_KEY_REUSED")


def test_metrics_count_accepted_requests(api, user, schedule):
    def accepted():
        return matching(scrape(api)[1], "ft_reservations_accepted_total")[0]
    before = accepted()
    assert reserve(api, user, {"scheduleId": schedule["id"], "quantity": 1}).status_code == 202
    assert accepted() == before + 1


def ack_histogram(api):
    """Kafka's acknowledgement histogram: [(bound, cumulative count)] with +Inf last, sum, count."""
    samples = scrape(api)[1]
    buckets = [(float(l["le"]), v) for n, l, v in samples if n == "ft_kafka_ack_seconds_bucket"]
    return (buckets, matching(samples, "ft_kafka_ack_seconds_sum")[0],
            matching(samples, "ft_kafka_ack_seconds_count")[0])


def test_kafka_acknowledgement_time_is_a_histogram_of_accepted_commands(api, user, schedule, nothing_queued):
    """Each command Kafka took adds one observation, in the buckets at and above its time;
    a refused request adds none."""
    before, sum_before, count_before = ack_histogram(api)
    assert reserve(api, user, {"scheduleId": schedule["id"], "quantity": 1}).status_code == 202
    after, sum_after, count_after = ack_histogram(api)
    assert count_after == count_before + 1
    assert sum_after > sum_before
    assert after[-1][0] == float("inf")
    counts = [v for _, v in after]
    assert counts == sorted(counts) and counts[-1] == count_after
    grown = [a[1] - b[1] for a, b in zip(after, before)]
    assert set(grown) <= {0, 1} and grown[-1] == 1 and grown == sorted(grown)
    # the bucket it went into is the first whose bound is at least the time it added to the sum
    took = sum_after - sum_before
    bounds = [bound for bound, _ in after]
    first = grown.index(1)
    assert took <= bounds[first] + 1e-6 and (first == 0 or took > bounds[first - 1] - 1e-6), (took, bounds[first])
    with nothing_queued():
        assert reserve(api, user, {"scheduleId": schedule["id"], "quantity": 0}).status_code == 422
    assert ack_histogram(api)[2] == count_after
