"""When Kafka cannot take a reservation request, the answer is 503 with Retry-After —
never a 202 for a request that is not durable — and the server stays healthy and still
stops cleanly. A topic that does not exist stops start-up with a clear reason."""
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from ft_support import assert_error, create_schedule, describe
from pipeline_helpers import Ingress, free_port

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def spare_schedule(api, admin, catalog):
    return create_schedule(api, admin.token, catalog["concert"], catalog["venue"])


def test_503_from_an_ingress_whose_broker_is_unreachable(tmp_path, api, user, spare_schedule, db):
    dead = f"127.0.0.1:{free_port()}"  # nothing listens there
    ingress = Ingress(str(tmp_path), name="deadkafka", FT_KAFKA_BROKERS=dead)
    try:
        key = "dead-" + uuid.uuid4().hex
        started = time.monotonic()
        resp = ingress.api.post("/api/v1/reservations", {"scheduleId": spare_schedule["id"], "quantity": 1},
                                token=user.token, headers={"Idempotency-Key": key})
        assert_error(resp, 503, "UNAVAILABLE")
        assert int(resp.headers["Retry-After"]) >= 1
        assert time.monotonic() - started < 10
        assert db.value("SELECT count(*) FROM idempotency_keys WHERE key = %s", key) == 0, \
            "a refused request leaves its key free for the retry"
        # what needs no queue is still answered as usual
        assert_error(ingress.api.post("/api/v1/reservations", {"scheduleId": spare_schedule["id"], "quantity": 9},
                                      token=user.token), 422, "VALIDATION_FAILED", "quantity")
        ingress.api.healthy()
        ready = ingress.api.get("/readyz")
        assert ready.status_code == 503 and ready.body["checks"]["kafka"] == "down", describe(ready)
    finally:
        ingress.stop()


def waiting_on_kafka(ingress):
    text = ingress.api.get("/metrics").body
    return float(next(line for line in text.splitlines()
                      if line.startswith("ft_reservations_in_flight ")).split()[1])


class MockKafka:
    def __init__(self, *topics):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "mock_kafka.py"), *topics],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.address = self.proc.stdout.readline().decode().strip()
        assert self.address, "the mock cluster did not start"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def mock_kafka():
    suffix = uuid.uuid4().hex[:8]
    mock = MockKafka(f"mock.commands.{suffix}", f"mock.outcomes.{suffix}")
    mock.topics = {"FT_TOPIC_COMMANDS": f"mock.commands.{suffix}", "FT_TOPIC_OUTCOMES": f"mock.outcomes.{suffix}"}
    yield mock
    mock.kill()


def test_503_when_kafka_vanishes_after_start_up(tmp_path, user, spare_schedule, db, mock_kafka):
    """The request is taken, suspended, and refused when its delivery times out (about 5 s)."""
    ingress = Ingress(str(tmp_path), name="mockkafka", FT_KAFKA_BROKERS=mock_kafka.address, **mock_kafka.topics)
    try:
        body = {"scheduleId": spare_schedule["id"], "quantity": 1}
        resp = ingress.api.post("/api/v1/reservations", body, token=user.token)
        assert resp.status_code == 202, describe(resp)
        mock_kafka.kill()
        key = "vanished-" + uuid.uuid4().hex
        started = time.monotonic()
        resp = ingress.api.post("/api/v1/reservations", body, token=user.token, headers={"Idempotency-Key": key})
        waited = time.monotonic() - started
        assert_error(resp, 503, "UNAVAILABLE")
        assert "Retry-After" in resp.headers
        assert 3 < waited < 15, f"answered after {waited:.1f} s: the delivery timeout is 5 s"
        assert db.value("SELECT count(*) FROM idempotency_keys WHERE key = %s", key) == 0, \
            "the key of a request Kafka refused is freed"
        ingress.api.healthy()
    finally:
        ingress.stop()


def test_sigterm_answers_the_requests_waiting_on_kafka_then_exits_0(tmp_path, user, spare_schedule, mock_kafka):
    """Suspended connections are resumed (here: refused) before the HTTP server stops."""
    ingress = Ingress(str(tmp_path), name="drain", FT_KAFKA_BROKERS=mock_kafka.address, **mock_kafka.topics)
    mock_kafka.kill()
    out = tmp_path / "answer.txt"
    script = (
        "import requests, sys\n"
        f"r = requests.post('{ingress.api.base}/api/v1/reservations', json={{'scheduleId': {spare_schedule['id']},"
        " 'quantity': 1},"
        f" headers={{'Authorization': 'Bearer {user.token}'}}, timeout=60)\n"
        f"open('{out}', 'w').write(f'{{r.status_code}} {{r.text}}')\n")
    client = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 20
    while waiting_on_kafka(ingress) < 1:
        assert time.monotonic() < deadline and client.poll() is None, "the request never arrived"
        time.sleep(0.05)
    ingress.stop(timeout=20)
    assert client.wait(timeout=30) == 0
    status, _, text = out.read_text().partition(" ")
    assert status == "503" and "UNAVAILABLE" in text, out.read_text()


def test_a_missing_topic_stops_start_up_naming_it(tmp_path):
    env = dict(os.environ, FT_HTTP_PORT=str(free_port()), FT_DATABASE_URL=os.environ["FT_TEST_DATABASE_URL"],
               FT_JWT_SECRET="k3Jd9-Qm2_xV7pLz0aR5tY8uWc4bN6eH1sGf0aZ",
               FT_TOPIC_COMMANDS="ft.it.no-such-topic." + uuid.uuid4().hex[:8])
    done = subprocess.run([os.environ["FT_INGRESS_BIN"]], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert env["FT_TOPIC_COMMANDS"] in done.stderr and "does not exist" in done.stderr, done.stderr[-2000:]
