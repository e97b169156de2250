#!/usr/bin/python3
"""End to end on-sale over HTTP: wrk sends reservation requests from many buyers to the
running stack (make up); prints accepted requests/s and latency to 202 (wrk), then how
fast the worker decided them, as JSON. Accepted is wrk's count of 2xx answers (each a
command on the topic); the worker has decided them once the partitions' stored offsets
have passed every command queued meanwhile, the expirer's too ("other_commands": run
after the expirer has caught up with old holds, or its expiries count against the rate).

    make up && bench/onsale_http.py [--seconds 10] [--connections 200] [--buyers 20000] [--halls 100]

Buyers are made directly in the development database with tokens signed by the dev
secret (.state/secrets/jwt-secret). The targets are the open schedules, the demo's 6,000
seats: wrk repeats random requests, and nearly all are refused (SEAT_TAKEN, SOLD_OUT). With
--halls N, the admin API makes N new schedules of a 10,000-seat hall and wrk sends each
request once, half of them for a seat no other request asks for: nearly all are held, as
in an on-sale's first seconds (the halls stay in the development database, and later runs
without --halls target them too). The JSON says how many of the run's requests were held."""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import jwt
import psycopg2
import requests
from confluent_kafka import Consumer, TopicPartition

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DB_URL = os.environ.get("FT_DATABASE_URL", "postgresql://fairticket@127.0.0.1:25432/fairticket")
BROKERS = os.environ.get("FT_KAFKA_BROKERS", "127.0.0.1:29092")
TOPIC = os.environ.get("FT_TOPIC_COMMANDS", "ft.reservation-commands")
BASE = os.environ.get("FT_BENCH_URL", "http://127.0.0.1:8080")

WRK_LINES = os.path.join(ROOT, "bench", "wrk_lines.lua")


def sql(statement, *args):
    with psycopg2.connect(DB_URL) as conn, conn.cursor() as cur:
        cur.execute(statement, args)
        return cur.fetchall() if cur.description else None


def decided_total():
    return sql("SELECT coalesce(sum(next_offset), 0) FROM partition_offsets WHERE topic = %s", TOPIC)[0][0]


def queued_total():
    consumer = Consumer({"bootstrap.servers": BROKERS, "group.id": "ft-bench-probe"})
    partitions = len(consumer.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions)
    total = sum(consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10, cached=False)[1]
                for p in range(partitions))
    consumer.close()
    return total


def make_halls(count):
    """`count` new open schedules of one 10,000-seat hall (100 rows of 100, the bench's
    grades), made through the admin API; their ids once the ingress serves their seat maps."""
    with open(os.path.join(ROOT, ".state", "secrets", "admin-password"), encoding="utf-8") as f:
        login = {"email": os.environ.get("FT_ADMIN_EMAIL", "admin@fairticket.local"), "password": f.read().strip()}
    session = requests.Session()

    def post(path, body):
        answer = session.post(BASE + path, json=body, timeout=60)
        if answer.status_code not in (200, 201):
            raise SystemExit(f"POST {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json()

    session.headers["Authorization"] = "Bearer " + post("/api/v1/users/login", login)["accessToken"]
    grades = [("VIP", 10, 200000), ("R", 30, 150000), ("S", 30, 100000), ("A", 30, 70000)]
    rows = [{"seats": 100, "grade": g, "price": p} for g, count, p in grades for _ in range(count)]
    venue = post("/api/v1/venues", {"name": "onsale_http hall", "rows": rows})["id"]
    concert = post("/api/v1/concerts", {"title": "onsale_http", "artist": "bench"})["id"]
    ids = [post(f"/api/v1/concerts/{concert}/schedules",
                {"venueId": venue, "startsAt": f"2030-01-01T{i // 60 % 24:02d}:{i % 60:02d}:00+09:00"})["id"]
           for i in range(count)]
    for schedule in ids:  # the ingress learns a new schedule within its catalog refresh
        deadline = time.monotonic() + 60
        while requests.get(f"{BASE}/api/v1/seats/{schedule}", timeout=10).status_code != 200:
            if time.monotonic() > deadline:
                raise SystemExit(f"the ingress does not serve schedule {schedule}")
            time.sleep(0.5)
    return ids


def body_line(token, schedule, seat, rng):
    """One line of "<bearer>\t<body>": the seat when one is given, else best available."""
    body = {"scheduleId": schedule, "seatIds": [seat]} if seat is not None else \
        {"scheduleId": schedule, "quantity": rng.randint(1, 4)}
    return f"{token}\t{json.dumps(body)}\n"


def random_lines(f, tokens, schedules, seats, rng):
    """A line per buyer, for a schedule picked at random; half for a seat skewed to the front."""
    for token in tokens:
        schedule = rng.choice(schedules)
        seat = seats[schedule][int(rng.random() ** 3 * len(seats[schedule]))] if rng.random() < 0.5 else None
        f.write(body_line(token, schedule, seat, rng))


def once_lines(f, tokens, schedules, seats, rng, count):
    """`count` lines, the schedules and buyers taking turns; half for a seat that no other
    line asks for (best available once a schedule has none left)."""
    free = {s: rng.sample(seats[s], len(seats[s])) for s in schedules}
    for k in range(count):
        schedule = schedules[k % len(schedules)]
        seat = free[schedule].pop() if rng.random() < 0.5 and free[schedule] else None
        f.write(body_line(tokens[(k // len(schedules)) % len(tokens)], schedule, seat, rng))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--buyers", type=int, default=20000)
    parser.add_argument("--halls", type=int, default=0,
                        help="make this many new 10,000-seat schedules and send each request once (mostly holds)")
    args = parser.parse_args()
    secret = open(os.path.join(ROOT, ".state", "secrets", "jwt-secret"), encoding="utf-8").read().strip()
    tag = str(int(time.time()))
    ids = [r[0] for r in sql("INSERT INTO users (email, password_hash, name) SELECT 'bench' || g || '-' || %s || "
                             "'@example.com', 'x', 'bench' FROM generate_series(1, %s) g RETURNING id", tag, args.buyers)]
    schedules = make_halls(args.halls) if args.halls > 0 else \
        [r[0] for r in sql("SELECT id FROM schedules WHERE status = 'OPEN' ORDER BY id")]
    seats = {s: [r[0] for r in sql("SELECT id FROM seats WHERE schedule_id = %s ORDER BY row_number, seat_number", s)]
             for s in schedules}
    now = int(time.time())
    tokens = [jwt.encode({"sub": str(uid), "role": "USER", "iat": now, "exp": now + 3600}, secret, algorithm="HS256")
              for uid in ids]
    import random
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        lines = os.path.join(tmp, "requests.tsv")
        with open(lines, "w", encoding="utf-8") as f:
            if args.halls:  # more lines than wrk can send (about 30,000 a second here): none is sent twice
                once_lines(f, tokens, schedules, seats, rng, 60000 * args.seconds)
            else:
                random_lines(f, tokens, schedules, seats, rng)
        decided_before, queued_before = decided_total(), queued_total()
        started = time.monotonic()
        mode = ["reserve-once", str(args.threads)] if args.halls else ["reserve"]
        out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
                              "-s", WRK_LINES, BASE, "--", lines] + mode, capture_output=True, text=True,
                             check=True).stdout
    print(out, file=sys.stderr)
    queued = queued_total() - queued_before
    sent = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    accepted = sent - (int(non2xx.group(1)) if non2xx else 0)
    while int(decided_total() - decided_before) < queued and time.monotonic() - started < args.seconds + 120:
        time.sleep(0.1)
    decide_seconds = time.monotonic() - started
    held = sql("SELECT count(*) FROM request_outcomes WHERE status = 'HELD' AND user_id = ANY(%s)", ids)[0][0]

    def latency(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    print(json.dumps({
        "accepted_per_s": round(accepted / args.seconds), "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "non_2xx": sent - accepted, "p50_ms_to_202": latency(50), "p99_ms_to_202": latency(99),
        "accepted": accepted, "other_commands": queued - accepted, "decided_per_s_until_caught_up": round(accepted / decide_seconds),
        "caught_up_after_s": round(decide_seconds, 1), "held": held, "held_share": round(held / max(accepted, 1), 3)}))


if __name__ == "__main__":
    main()
