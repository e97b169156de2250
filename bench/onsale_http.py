#!/usr/bin/python3
"""End to end on-sale over HTTP: wrk sends reservation requests from many buyers to the
running stack (make up); prints accepted requests/s and latency to 202 (wrk), then how
fast the worker decided them (from the stored offsets), as JSON.

    make up && bench/onsale_http.py [--seconds 10] [--connections 200] [--buyers 20000]

Buyers are made directly in the development database with tokens signed by the dev
secret (.state/secrets/jwt-secret); the demo schedules are the targets."""
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--buyers", type=int, default=20000)
    args = parser.parse_args()
    secret = open(os.path.join(ROOT, ".state", "secrets", "jwt-secret"), encoding="utf-8").read().strip()
    tag = str(int(time.time()))
    ids = [r[0] for r in sql("INSERT INTO users (email, password_hash, name) SELECT 'bench' || g || '-' || %s || "
                             "'@example.com', 'x', 'bench' FROM generate_series(1, %s) g RETURNING id", tag, args.buyers)]
    schedules = [r[0] for r in sql("SELECT id FROM schedules WHERE status = 'OPEN' ORDER BY id")]
    seats = {s: [r[0] for r in sql("SELECT id FROM seats WHERE schedule_id = %s ORDER BY row_number, seat_number", s)]
             for s in schedules}
    now = int(time.time())
    import random
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        lines = os.path.join(tmp, "requests.tsv")
        with open(lines, "w", encoding="utf-8") as f:
            for uid in ids:
                token = jwt.encode({"sub": str(uid), "role": "USER", "iat": now, "exp": now + 3600}, secret,
                                   algorithm="HS256")
                schedule = rng.choice(schedules)
                if rng.random() < 0.5:  # specific seats, skewed to the front
                    body = {"scheduleId": schedule, "seatIds": [seats[schedule][int(rng.random() ** 3 * len(seats[schedule]))]]}
                else:
                    body = {"scheduleId": schedule, "quantity": rng.randint(1, 4)}
                f.write(f"{token}\t{json.dumps(body)}\n")
        decided_before, queued_before = decided_total(), queued_total()
        started = time.monotonic()
        out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
                              "-s", WRK_LINES, BASE, "--", lines, "reserve"], capture_output=True, text=True, check=True).stdout
    print(out, file=sys.stderr)
    queued = queued_total() - queued_before
    while int(decided_total() - decided_before) < queued and time.monotonic() - started < args.seconds + 120:
        time.sleep(0.1)
    decide_seconds = time.monotonic() - started
    decided = int(decided_total() - decided_before)

    def latency(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    print(json.dumps({
        "accepted_per_s": round(queued / args.seconds), "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0, "p50_ms_to_202": latency(50), "p99_ms_to_202": latency(99),
        "queued": queued, "decided": decided, "decided_per_s_until_caught_up": round(decided / decide_seconds),
        "caught_up_after_s": round(decide_seconds, 1)}))


if __name__ == "__main__":
    main()
