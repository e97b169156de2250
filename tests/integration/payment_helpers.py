"""What the payment tests run: the PortOne imitation (tests/portone), an ingress, a
worker and an expirer pointed at it, each on a private database and private topics, and
the steps a buyer takes (hold, prepare, pay at PortOne, confirm)."""
import os
import secrets
import signal
import subprocess
import time

import psycopg2
import pytest
import requests

from ft_support import describe, new_user
from pipeline_helpers import RESERVE, Ingress
from service import Service
from test_reservations_worker import Worker, admin_and_schedule, decided

ROOT = os.environ.get("FT_REPO_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
IMITATION = os.path.join(ROOT, "tests", "portone", "portone_imitation.py")
# PortOne's REST keys are digit strings; this one must arrive with its leading zeros.
IMP_KEY, IMP_SECRET = "0012345678901234", "0secret-" + secrets.token_hex(8)


class PortOne:
    """The imitation on a free port; `control` reaches its /__control endpoints."""

    def __init__(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", IMITATION, "--port", "0",
                                      f"--imp-key={IMP_KEY}", f"--imp-secret={IMP_SECRET}"],
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening "), line
        self.url = line.split(" ", 1)[1]

    def control(self, method, path, body=None):
        resp = requests.request(method, self.url + "/__control/" + path, json=body, timeout=10)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def pay(self, merchant_uid, amount, **fields):
        """A payment made the way the browser SDK makes one; returns its imp_uid."""
        return self.control("POST", "payments", dict(fields, merchant_uid=merchant_uid, amount=amount))["imp_uid"]

    def api(self, method, path, body=None):
        """PortOne's own REST API, as the merchant's console or our client calls it."""
        token = requests.post(self.url + "/users/getToken", json={"imp_key": IMP_KEY, "imp_secret": IMP_SECRET},
                              timeout=10).json()["response"]["access_token"]
        resp = requests.request(method, self.url + path, json=body, headers={"Authorization": token}, timeout=10)
        assert resp.status_code == 200, resp.text
        return resp.json()["response"]

    def applied_cancels(self):
        return self.control("GET", "cancels")["applied"]

    def fault(self, **rule):
        return self.control("POST", "faults", rule)

    def clear_faults(self):
        self.control("DELETE", "faults")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)


def Expirer(topics, database, log_dir, portone_url, **settings):
    env = dict(os.environ, FT_DATABASE_URL=database, FT_TOPIC_COMMANDS=topics.commands,
               FT_TOPIC_OUTCOMES=topics.outcomes, FT_EXPIRER_HTTP_PORT="0", FT_EXPIRER_INTERVAL_MS="200",
               FT_PORTONE_BASE_URL=portone_url, FT_PORTONE_IMP_KEY=IMP_KEY, FT_PORTONE_IMP_SECRET=IMP_SECRET,
               FT_PORTONE_TIMEOUT_MS="2000", FT_REFUND_RETRY_MAX_SECONDS="1", FT_LOG_LEVEL="info")
    env.update(settings)
    return Service(os.environ.get("FT_EXPIRER_BIN"), log_dir, "expirer", env)


class Stack:
    """Ingress + worker + expirer + PortOne imitation on a private database and topics."""

    def __init__(self, tmp_path, topics, database, hold_seconds=300, rows=None, expirer_settings=None,
                 **ingress_settings):
        self.tmp, self.topics, self.database = str(tmp_path), topics, database
        self.expirer_settings = expirer_settings or {}
        self.portone = PortOne()
        self.processes = []
        try:
            self.ingress = self._keep(Ingress(self.tmp, FT_TOPIC_COMMANDS=topics.commands,
                                              FT_TOPIC_OUTCOMES=topics.outcomes, FT_DATABASE_URL=database,
                                              FT_HOLD_SECONDS=str(hold_seconds), FT_PORTONE_BASE_URL=self.portone.url,
                                              FT_PORTONE_IMP_KEY=IMP_KEY, FT_PORTONE_IMP_SECRET=IMP_SECRET,
                                              FT_PORTONE_TIMEOUT_MS="2000", **ingress_settings))
            self.start_worker()
            self.start_expirer()
            self.schedule = admin_and_schedule(self.ingress, database, rows)
            self.api = self.ingress.api
        except BaseException:
            # What started is stopped: a PortOne imitation left running kept the test
            # run's output pipe open after a failed start.
            self.stop()
            raise

    def _keep(self, process):
        self.processes.append(process)
        return process

    def start_worker(self):
        self.worker = self._keep(Worker(self.topics, self.database, self.tmp))
        return self.worker

    def start_expirer(self):
        self.expirer = self._keep(Expirer(self.topics, self.database, self.tmp, self.portone.url,
                                              **self.expirer_settings))
        return self.expirer

    def seats(self):
        return self.api.get(f"/api/v1/seats/{self.schedule['id']}").body["seats"]

    def seat_status(self, seat_id):
        return next(s["status"] for s in self.seats() if s["id"] == seat_id)

    def buyer(self):
        return new_user(self.api)

    def hold(self, user, seat_ids):
        resp = self.api.post(RESERVE, {"scheduleId": self.schedule["id"], "seatIds": seat_ids}, token=user.token)
        assert resp.status_code == 202, describe(resp)
        answer, _ = decided(self.ingress, user, resp.body["token"])
        assert answer["status"] == "HELD", answer
        return answer

    def prepare(self, user, reservation_id):
        resp = self.api.post("/api/v1/payments/prepare", {"reservationId": reservation_id}, token=user.token)
        assert resp.status_code == 200, describe(resp)
        assert resp.body["status"] == "PREPARED"
        return resp.body

    def confirm(self, user, reservation_id, imp_uid):
        return self.api.post("/api/v1/payments", {"reservationId": reservation_id, "impUid": imp_uid},
                             token=user.token)

    def payment(self, user, reservation_id):
        resp = self.api.get(f"/api/v1/payments/{reservation_id}", token=user.token)
        assert resp.status_code == 200, describe(resp)
        return resp.body

    def wait_payment(self, user, reservation_id, status, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            got = self.payment(user, reservation_id)
            if got["status"] == status:
                return got
            assert time.monotonic() < deadline, f"payment of {reservation_id} stayed {got}, never {status}"
            time.sleep(0.1)

    def rows(self, sql, *params):
        with psycopg2.connect(self.database) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def stop(self):
        try:
            for process in reversed(self.processes):
                if not process.log.closed:
                    process.stop()
        finally:
            self.portone.stop()


@pytest.fixture
def stack(tmp_path, topics, database):
    made = Stack(tmp_path, topics, database)
    yield made
    made.stop()
