"""An on-sale in miniature over real HTTP, Kafka and PostgreSQL: a thousand buyers ask
for the same seat at once; exactly one holds it, 999 are told SEAT_TAKEN, and every
token resolves."""
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import jwt
import psycopg2
import requests

from ft_support import JWT_SECRET
from pipeline_helpers import RESERVE, poll_path
from test_reservations_worker import admin_and_schedule, processes  # noqa: F401

BUYERS = 1000


def buyers_with_tokens(database_url, count):
    """Buyers made directly in the database (hashing 1,000 passwords would dominate the
    test), with access tokens signed by the server's secret."""
    tag = secrets.token_hex(4)
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO users (email, password_hash, name) SELECT 'buyer' || g || '-' || %s || "
                    "'@example.com', 'x', 'buyer' FROM generate_series(1, %s) g RETURNING id", (tag, count))
        ids = [row[0] for row in cur.fetchall()]
    now = int(time.time())
    return [jwt.encode({"sub": str(i), "role": "USER", "iat": now, "exp": now + 3600}, JWT_SECRET, algorithm="HS256")
            for i in ids]


def test_a_thousand_concurrent_requests_for_one_seat(processes, database):
    start_ingress, start_worker = processes
    ingress = start_ingress()
    start_worker()
    schedule = admin_and_schedule(ingress, database)
    seat = ingress.api.get(f"/api/v1/seats/{schedule['id']}").body["seats"][0]["id"]
    tokens = buyers_with_tokens(database, BUYERS)
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=64, pool_maxsize=64))

    def ask(bearer):
        resp = session.post(ingress.api.base + RESERVE, json={"scheduleId": schedule["id"], "seatIds": [seat]},
                            headers={"Authorization": f"Bearer {bearer}"}, timeout=60)
        assert resp.status_code == 202, resp.text
        return bearer, resp.json()["token"]

    with ThreadPoolExecutor(max_workers=64) as pool:
        accepted = list(pool.map(ask, tokens))
    assert len({token for _, token in accepted}) == BUYERS, "every request has a token of its own"

    def outcome(pair):
        bearer, token = pair
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            resp = session.get(ingress.api.base + poll_path(token), headers={"Authorization": f"Bearer {bearer}"},
                               timeout=30)
            if resp.status_code == 200 and resp.json()["status"] != "WAITING":
                return resp.json()
            time.sleep(0.2)
        raise AssertionError(f"{token} never resolved")

    with ThreadPoolExecutor(max_workers=64) as pool:
        outcomes = list(pool.map(outcome, accepted))
    held = [o for o in outcomes if o["status"] == "HELD"]
    assert len(held) == 1 and [s["id"] for s in held[0]["seats"]] == [seat]
    assert sorted(o.get("code") for o in outcomes if o["status"] == "REJECTED") == ["SEAT_TAKEN"] * (BUYERS - 1)
    with psycopg2.connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM request_outcomes")
        assert cur.fetchone()[0] == BUYERS, "every accepted request has its durable outcome"
        cur.execute("SELECT min(log_offset) = (SELECT log_offset FROM request_outcomes WHERE status = 'HELD') "
                    "FROM request_outcomes")
        assert cur.fetchone()[0], "the seat went to the first request in the log"
