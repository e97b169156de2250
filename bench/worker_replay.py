#!/usr/bin/python3
"""Worker-only throughput: N commands in one partition, replayed by ft-worker --replay
into a database that holds only the catalog. Prints commands/s of the replay (decided and
stored: from the worker's start to the last batch committed, as the worker logs it), and
the wall time of the whole process, which adds the state digest read back at the end.

    bench/worker_replay.py [--commands 500000] [--schedules 10] [--runs 3]

Needs the local stack up (make up, or deploy/local/stack.sh infra-up) and the release
build (make build). Uses a topic and databases of its own, dropped afterwards."""
import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import time

import psycopg2
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
os.environ.setdefault("FT_REPO_ROOT", ROOT)  # where databases.create_database finds migrate.sh
from databases import create_database, drop_database  # noqa: E402 (the tests' helpers, found through ROOT)
from kafka_topics import create_topics, delete_topics  # noqa: E402

BROKERS = os.environ.get("FT_KAFKA_BROKERS", "127.0.0.1:29092")
ADMIN_URL = os.environ.get("FT_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:25432/postgres")
BASE_URL = ADMIN_URL.rsplit("/", 1)[0]
WORKER = os.path.join(ROOT, "build", "release", "bin", "ft-worker")


def sql(url, statement, *args):
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(statement, args)
        rows = cur.fetchall() if cur.description else None
    conn.close()
    return rows




def load_catalog(url, schedules, users):
    sql(url, "INSERT INTO users (email, password_hash, name) SELECT 'b' || g || '@bench.example', 'x', 'b' "
             "FROM generate_series(1, %s) g", users)
    sql(url, "INSERT INTO venues (name) VALUES ('bench')")
    sql(url, "INSERT INTO venue_rows SELECT 1, r, 50, (ARRAY['VIP','R','S','A'])[least(4, 1 + r / 10)], 100000 - r * 1000 "
             "FROM generate_series(1, 40) r")
    sql(url, "INSERT INTO concerts (title, artist) VALUES ('bench', 'bench')")
    sql(url, "INSERT INTO schedules (concert_id, venue_id, starts_at) SELECT 1, 1, now() + g * interval '1 day' "
             "FROM generate_series(1, %s) g", schedules)
    sql(url, "INSERT INTO seats (schedule_id, row_number, seat_number, grade, price) SELECT s.id, r.row_number, n, "
             "r.grade, r.price FROM schedules s, venue_rows r, generate_series(1, r.seat_count) n")
    return [r[0] for r in sql(url, "SELECT id FROM schedules ORDER BY id")], \
        [r[0] for r in sql(url, "SELECT min(id) FROM seats GROUP BY schedule_id ORDER BY schedule_id")]


def produce(topic, count, schedules, first_seats, users):
    producer = Producer({"bootstrap.servers": BROKERS, "enable.idempotence": True, "linger.ms": 20,
                         "batch.num.messages": 10000, "queue.buffering.max.messages": 500000})
    ts = int(time.time() * 1000)
    rng = __import__("random").Random(5)
    for i in range(count):
        k = rng.randrange(len(schedules))
        cmd = {"v": 1, "type": "RESERVE", "ts": ts + i, "scheduleId": schedules[k], "userId": 1 + rng.randrange(users),
               "token": f"{ts + i:012x}" + secrets.token_urlsafe(16)[:22], "holdSeconds": 300}
        if rng.random() < 0.5:  # specific seats, skewed to the front rows
            cmd["seatIds"] = [first_seats[k] + int(rng.random() ** 3 * 2000)]
        else:
            cmd["quantity"] = rng.randint(1, 4)
        while True:
            try:
                producer.produce(topic, json.dumps(cmd, separators=(",", ":")).encode(),
                                 key=str(schedules[k]).encode(), partition=0)
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(120) == 0


def replay_runs(args, tag, topic, catalog_url):
    """Produces the commands, then replays them args.runs times, each into a copy of the
    catalog database; the replay rates (commands/s) and the whole processes' rates."""
    schedules, first_seats = load_catalog(catalog_url, args.schedules, args.users)
    started = time.monotonic()
    produce(topic, args.commands, schedules, first_seats, args.users)
    print(f"produced {args.commands} commands in {time.monotonic() - started:.1f}s", file=sys.stderr)
    rates, wall_rates = [], []
    for run in range(args.runs):
        url = f"{BASE_URL}/ft_bench_{tag}_{run}"
        sql(ADMIN_URL, f'DROP DATABASE IF EXISTS "ft_bench_{tag}_{run}" WITH (FORCE)')
        sql(ADMIN_URL, f'CREATE DATABASE "ft_bench_{tag}_{run}" TEMPLATE "ft_bench_{tag}_catalog"')
        env = dict(os.environ, FT_DATABASE_URL=url, FT_KAFKA_BROKERS=BROKERS, FT_TOPIC_COMMANDS=topic,
                   FT_LOG_LEVEL="info", FT_WORKER_BATCH_MAX=os.environ.get("FT_WORKER_BATCH_MAX", "5000"))
        started = time.monotonic()
        command = [args.worker_bin, "--replay"]
        if os.environ.get("FT_BENCH_PERF"):
            command = os.environ["FT_BENCH_PERF"].split() + command
        done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        seconds = time.monotonic() - started
        finished = re.search(r"event=replay\.finished commands=(\d+) replay_seconds=([\d.]+) digest_seconds=([\d.]+)",
                             done.stderr)
        if finished is None or int(finished.group(1)) != args.commands:
            sys.exit(f"the worker did not report replaying {args.commands} commands:\n{done.stderr[-2000:]}")
        replay_seconds, digest_seconds = float(finished.group(2)), float(finished.group(3))
        rates.append(args.commands / replay_seconds)
        wall_rates.append(args.commands / seconds)
        held = sql(url, "SELECT count(*) FROM reservations")[0][0]
        print(f"run {run + 1}: replay {replay_seconds:.2f}s, {rates[-1]:,.0f} commands/s; digest {digest_seconds:.2f}s; "
              f"wall {seconds:.2f}s, {wall_rates[-1]:,.0f} commands/s; {held} holds", file=sys.stderr)
        sql(ADMIN_URL, f'DROP DATABASE "ft_bench_{tag}_{run}" WITH (FORCE)')
    return rates, wall_rates


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=500000)
    parser.add_argument("--schedules", type=int, default=10)
    parser.add_argument("--users", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker-bin", default=WORKER)
    args = parser.parse_args()
    tag = secrets.token_hex(3)
    topic = f"ft.bench.commands.{tag}"
    admin = AdminClient({"bootstrap.servers": BROKERS})
    # A run that fails or is interrupted drops what it made all the same (FT_BENCH_KEEP keeps it).
    pg = psycopg2.connect(ADMIN_URL)
    pg.autocommit = True
    try:
        create_topics(admin, [topic], 1)
        catalog_url = create_database(pg, ADMIN_URL, f"ft_bench_{tag}_catalog")
        rates, wall_rates = replay_runs(args, tag, topic, catalog_url)
    finally:
        if os.environ.get("FT_BENCH_KEEP"):
            print(f"kept: database ft_bench_{tag}_catalog, topic {topic}", file=sys.stderr)
        else:
            for name in [f"ft_bench_{tag}_{run}" for run in range(args.runs)] + [f"ft_bench_{tag}_catalog"]:
                drop_database(pg, name)
            delete_topics(admin, [topic])
        pg.close()
    print(json.dumps({"commands": args.commands, "runs": args.runs, "median_commands_per_s": round(statistics.median(rates)),
                      "min": round(min(rates)), "max": round(max(rates)),
                      "median_wall_commands_per_s": round(statistics.median(wall_rates))}))


if __name__ == "__main__":
    main()
