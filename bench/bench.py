#!/usr/bin/python3
"""make bench: the on-sale benchmark of issue 5, side by side with its yardsticks, on the
local stack, printed as one table.

    bench/bench.py [--full] [--rounds N] [--seconds S]

In one run, on the same machine and the same PostgreSQL, one after the other:
  - nginx serving a static 200-byte JSON file, under wrk with the same script and request
    lines as the polls (right after them);
  - the baseline: the first version's algorithm (per request BEGIN; SELECT ... FOR UPDATE
    the seat; check; UPDATE; INSERT; COMMIT) by pgbench against a database of its own
    with the same seats, request mix and concurrency;
  - the batched-write ceiling: one connection, 1,000 seat UPDATEs + 1,000 INSERTs per
    transaction (pgbench);
  - the worker alone replaying commands into PostgreSQL (bench/worker_replay.py);
  - the pipeline end to end: ft-loadgen against ft-ingress, ft-worker and ft-expirer
    (build/release) on a fresh database and fresh topics: a closed loop where nobody pays,
    the baseline's work (holds), whose decided rate is compared with the baseline's; an
    open loop where nobody pays either, at 70 % of the rate the holds decided, for the
    pipeline's own latency; a closed loop where a fifth of the holders pay through the PortOne imitation
    (tests/portone), a quarter of them 1,000 won too little, so that their payments are
    refused and refunded; an open loop, paying too, at 70 % of the rate that one decided,
    for latency (and the ingress's own histogram of that run's answers beside the load
    generator's times); the first run again with 256 requests in flight (AT_ONCE), issue
    3's end-to-end figure; the first run again with an Idempotency-Key on every request, as
    the browser sends them (each is bound in PostgreSQL); then wrk polling that last run's
    tokens. FT_BENCH_PAY=0.05 pays a
    twentieth (the imitation is a Python process on the same two cores, so payments also
    cost what PortOne would run elsewhere);
  - the CPU each group of processes (load generator included) used per decided request in
    the run where nobody pays: where the two cores go, against the budget that 4 × the
    baseline would leave; and each group's share of a core in the two open loops: how full
    the machine is at the sustained rates, and the payments' work beside the holds';
  - peak RSS (VmHWM) of the three services, and bench/check_invariants.py.
Holds last FT_BENCH_HOLD_SECONDS (3,600), longer than the run, so that no on-sale is
measured together with an earlier one's expiries.
The short run (default) takes about three minutes; --full runs three rounds with longer
measurements and reports medians. Results also go to .state/bench/latest.json.

The development services (make up) are stopped first: the pipeline runs on the same
ports with a database and topics of its own. PostgreSQL and Kafka are left running."""
import argparse
import json
import math
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import psycopg2
from confluent_kafka.admin import AdminClient

from cpu_sample import TICKS, cpu_ticks, group_of, thread_ticks, ticks_by_group

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# The binaries of the stack, the load generator, the replay and the checker: build/release,
# or FT_BENCH_BIN (make test's smoke run takes its own build/asan).
BIN = os.environ.get("FT_BENCH_BIN") or os.path.join(ROOT, "build", "release", "bin")
STATE = os.path.join(ROOT, ".state")
PG = "postgresql://{user}@127.0.0.1:" + os.environ.get("FT_PG_PORT", "25432") + "/{db}"
ADMIN_URL = PG.format(user="postgres", db="postgres")
BROKERS = os.environ.get("FT_KAFKA_BROKERS", "127.0.0.1:" + os.environ.get("FT_KAFKA_PORT", "29092"))
HTTP_PORT = int(os.environ.get("FT_HTTP_PORT", "8080"))
BASE = f"http://127.0.0.1:{HTTP_PORT}"
SERVICES = ("ingress", "worker", "expirer")
BENCH_DB = "fairticket_bench"
BASELINE_DB = "fairticket_baseline"
ROWS, SEATS_PER_ROW = 100, 100  # a schedule's hall: 10,000 seats
GRADES = "CASE WHEN r <= 10 THEN 'VIP' WHEN r <= 40 THEN 'R' WHEN r <= 70 THEN 'S' ELSE 'A' END"
CONCURRENCY = 64  # reservation requests in flight (loadgen) = pgbench clients
# Requests in flight for issue 3's end-to-end figure (a sixth on-sale per round): an on-sale
# has thousands of buyers at once, and with 64 in flight the loop's rate is bounded by 64
# over the time to 202 while the machine is 15 % idle. 256 is the most at which the p99 to
# 202 stayed under 50 ms: closed loops alternated on one stack (2026-11-25, 20:15), 64 /
# 256 / 512 in flight decided 18,454 / 22,514 / 22,237 per s with p99 to 202 14.4 / 35.1 /
# 71.0 ms, and 18,382 / 20,944 / 23,069 per s with 12.2 / 37.0 / 62.8 ms.
AT_ONCE = 256
# The load generator's connections at most (FT_BENCH_CONNECTIONS). Buyers do not share
# connections; with 192 the open loop's reservations queued inside the load generator
# behind other buyers' slow PortOne calls, and that wait counted as time to 202 (p99
# 125 ms at 192 connections, 24 ms at 1,024, the same 20 s run otherwise).
LOADGEN_CONNECTIONS = int(os.environ.get("FT_BENCH_CONNECTIONS", "1024"))
# Partitions of the bench's topics (FT_BENCH_PARTITIONS): one per core, so one worker per
# core at most. Each partition in a produce request or a fetch is a log append or read of
# its own for the broker: with the stack's default of 12 and 12 schedules per on-sale, the
# ingress's every produce request carried a dozen batches of a message or two, and Kafka
# took 34 % of a core against 16 % with 2 partitions (same runs, 4,642 / 5,459 decided/s
# with 12 against 6,512 / 5,882 with 2; README, "Where the time goes").
PARTITIONS = int(os.environ.get("FT_BENCH_PARTITIONS", "2"))
SEAT_FRACTION = 0.5  # specific seats; the rest best available
PAY_FRACTION = float(os.environ.get("FT_BENCH_PAY", "0.2"))  # share of the holds that are paid
# nobody paying (closed loop, then open loop), paying (closed, then open), nobody paying with keys,
# nobody paying with AT_ONCE in flight
ON_SALES_PER_ROUND = 6
SUSTAINED = 0.7  # an open loop's rate, as a share of what the closed loop before it decided
BAD_PAY_FRACTION = 0.25  # share of those paid with the wrong amount: refused, then refunded
IMITATION = os.path.join(ROOT, "tests", "portone", "portone_imitation.py")


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def sql(url, statement, *args):
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, args)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def fresh_database(name):
    sql(ADMIN_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sql(ADMIN_URL, f'CREATE DATABASE "{name}" OWNER fairticket')
    return PG.format(user="fairticket", db=name)


def run(command, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


# --- services -------------------------------------------------------------------------------

def service_pid(name, marker=None):
    """The pid in .state/run/NAME.pid when it names a live process whose command line holds
    `marker` (ft-NAME unless given), as stack.sh checks; else None."""
    try:
        with open(os.path.join(STATE, "run", f"{name}.pid"), encoding="utf-8") as f:
            pid = int(f.read().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if (marker or f"ft-{name}").encode() in f.read():
                return pid
    except (OSError, ValueError):
        pass
    return None


def stop_service(name, grace=15):
    pid = service_pid(name)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while service_pid(name) == pid and time.monotonic() < deadline:
        time.sleep(0.1)
    if service_pid(name) == pid:
        os.kill(pid, signal.SIGKILL)
    try:
        os.unlink(os.path.join(STATE, "run", f"{name}.pid"))
    except FileNotFoundError:
        pass


# Holds outlast the run (FT_BENCH_HOLD_SECONDS), so that no on-sale meets an earlier one's
# expiries: with 5-minute holds, 193,000 holds of the warm-up and round 1 expired during
# rounds 2 and 3 of a full run, and their decided rate fell 6,879 -> 6,287 -> 4,782/s.
HOLD_SECONDS = int(os.environ.get("FT_BENCH_HOLD_SECONDS", "3600"))


def stack_env(topics, portone):
    return dict(os.environ, FT_RELEASE_BIN=BIN, FT_HOLD_SECONDS=str(HOLD_SECONDS),
                FT_TOPIC_PARTITIONS=str(PARTITIONS),
                FT_DATABASE_URL=PG.format(user="fairticket", db=BENCH_DB),
                FT_TOPIC_COMMANDS=topics[0], FT_TOPIC_OUTCOMES=topics[1], FT_PORTONE_BASE_URL=portone.url,
                FT_PORTONE_IMP_KEY=portone.key, FT_PORTONE_IMP_SECRET=portone.secret)


class PortOne:
    """The PortOne imitation of the tests on a free loopback port, with keys of its own,
    as `make run` has it (stack.sh portone_up); the ingress and the expirer pay and refund
    through it."""

    def __init__(self):
        # PortOne's REST keys are digit strings; this one must arrive with its leading zeros.
        self.key = "00" + "".join(secrets.choice("0123456789") for _ in range(12))
        # A URL-safe secret may begin with "-", so it is passed as --imp-secret=VALUE, never as
        # a separate argument that argparse would take for an option.
        self.secret = secrets.token_urlsafe(18)
        port = free_port()
        self.proc = subprocess.Popen(["/usr/bin/python3", IMITATION, "--port", str(port), f"--imp-key={self.key}",
                                      f"--imp-secret={self.secret}"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening "):
            self.stop()
            raise SystemExit(f"the PortOne imitation did not start on port {port}: {line!r}")
        self.url = line.split(" ", 1)[1]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_payments_settled(url, seconds=60):
    """Until no refund is due and no payment waits for the worker (the expirer does both)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = sql(url, "SELECT (SELECT count(*) FROM refunds WHERE status = 'DUE'), "
                        "(SELECT count(*) FROM payments WHERE status = 'CONFIRMING')")[0]
        if left == (0, 0):
            return
        time.sleep(0.5)
    log(f"payments not settled after {seconds} s: {left[0]} refunds due, {left[1]} payments confirming")


def peak_rss_kb(name):
    pid = service_pid(name)
    if pid is None:
        return None
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        return int(re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M).group(1))


# --- the pipeline's own catalog ---------------------------------------------------------------

def load_catalog(url, schedules, users):
    """One venue of ROWS x SEATS_PER_ROW, `schedules` open performances, `users` users.
    Returns (schedule ids, first user id). Users are made in SQL: signing 20,000 up through
    the API would spend minutes in Argon2; the load generator signs their tokens instead."""
    run([os.path.join(ROOT, "deploy", "local", "migrate.sh"), url])
    sql(url, "INSERT INTO venues (name) VALUES ('bench hall')")
    sql(url, f"INSERT INTO venue_rows SELECT 1, r, {SEATS_PER_ROW}, {GRADES}, 200000 - r * 1500 "
             f"FROM generate_series(1, {ROWS}) r")
    sql(url, "INSERT INTO concerts (title, artist) VALUES ('bench on-sale', 'bench')")
    sql(url, "INSERT INTO schedules (concert_id, venue_id, starts_at) SELECT 1, 1, now() + g * interval '1 day' "
             "FROM generate_series(1, %s) g", schedules)
    # One schedule's seats after another, as the admin API creates them: without the ORDER BY
    # the join interleaved the schedules, each of a schedule's 10,000 seats sat in a heap
    # block of its own, and reading one seat map (or a schedule into the worker) touched
    # 10,000 blocks: 250 ms for a map in a full run's database, mostly reads from disk.
    sql(url, "INSERT INTO seats (schedule_id, row_number, seat_number, grade, price) SELECT s.id, r.row_number, n, "
             "r.grade, r.price FROM schedules s, venue_rows r, generate_series(1, r.seat_count) n "
             "ORDER BY s.id, r.row_number, n")
    first = sql(url, "INSERT INTO users (email, password_hash, name) SELECT 'bench-' || g || '@bench.example', 'x', "
                     "'bench' FROM generate_series(1, %s) g RETURNING id", users)[0][0]
    return [r[0] for r in sql(url, "SELECT id FROM schedules ORDER BY id")], first


# --- yardsticks -------------------------------------------------------------------------------

def free_port():
    """A free loopback port below the ephemeral range (nginx, the PortOne imitation)."""
    for port in range(18090, 18200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise SystemExit("no free port in 18090-18199")


def wrk(url, seconds, connections, script=None, script_args=()):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", script]
    out = run(command + [url, "--"] + list(script_args) if script_args else command + [url])
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def nginx_static(seconds, connections, token_lines):
    """A static 200-byte JSON file from nginx (its own config, unprivileged port), under the
    same wrk script and request lines as the polls: every path answers that file, so the
    load tool does the same work for both and only the server differs."""
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)  # nginx's workers may run as nobody
        os.mkdir(os.path.join(tmp, "www"))
        body = json.dumps({"token": "x" * 22, "status": "WAITING", "position": 12345, "etaMs": 1000,
                           "pollAfterMs": 250, "pad": ""})
        body = body.replace('"pad": ""', '"pad": "' + "p" * (200 - len(body)) + '"')
        with open(os.path.join(tmp, "www", "status.json"), "w", encoding="utf-8") as f:
            f.write(body)
        port = free_port()
        with open(os.path.join(tmp, "nginx.conf"), "w", encoding="utf-8") as f:
            f.write(f"""worker_processes auto; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 1000000;
  server {{ listen 127.0.0.1:{port}; root {tmp}/www; default_type application/json;
    location / {{ try_files /status.json =404; }} }} }}
""")
        proc = subprocess.Popen(["nginx", "-p", tmp, "-c", os.path.join(tmp, "nginx.conf")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(50):
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
            got = wrk(f"http://127.0.0.1:{port}", seconds, connections, WRK_LINES, [token_lines, "poll"])
            if got["non_2xx"]:
                raise SystemExit(f"nginx answered {got['non_2xx']} requests with an error")
            return got["per_s"]
        finally:
            proc.send_signal(signal.SIGQUIT)
            proc.wait(timeout=20)


# The seat's SELECT ... FOR UPDATE answers one row even if it finds none: once (2026-11-25,
# round 2 of a full run, 64 clients) it found none for a seat that exists, most likely
# READ COMMITTED's recheck of a row updated meanwhile, and pgbench aborted the whole run
# ("expected one row, got 0"). A seat not found is not free, as the first version would
# have answered.
BASELINE_SCRIPT = r"""
\set sched random(1, :schedules)
\set user random(1, :users)
\if random(1, 100) <= :seat_pct
\set seat (:sched - 1) * :spp + int(:spp * pow(random(0, 999999) / 1000000.0, 3)) + 1
BEGIN;
SELECT coalesce(max((status = 'AVAILABLE')::int), 0) AS free FROM (SELECT status FROM seats WHERE id = :seat FOR UPDATE) s \gset
\if :free
UPDATE seats SET status = 'HELD', user_id = :user WHERE id = :seat;
INSERT INTO reservations (user_id, schedule_id, seat_ids) VALUES (:user, :sched, ARRAY[:seat]::bigint[]);
\endif
COMMIT;
\else
\set q random(1, 4)
BEGIN;
WITH picked AS (SELECT id FROM seats WHERE schedule_id = :sched AND status = 'AVAILABLE' ORDER BY row_no, seat_no LIMIT :q FOR UPDATE SKIP LOCKED), held AS (UPDATE seats s SET status = 'HELD', user_id = :user FROM picked WHERE s.id = picked.id RETURNING s.id) INSERT INTO reservations (user_id, schedule_id, seat_ids) SELECT :user, :sched, array_agg(id) FROM held HAVING count(*) > 0;
COMMIT;
\endif
"""

BATCH_SCRIPT = r"""
\set b random(0, :blocks - 1)
BEGIN;
UPDATE seats SET status = 'HELD', user_id = :b + 1 WHERE id BETWEEN :b * 1000 + 1 AND :b * 1000 + 1000;
INSERT INTO reservations (user_id, schedule_id, seat_ids) SELECT :b + 1, 1, ARRAY[g] FROM generate_series(:b * 1000 + 1, :b * 1000 + 1000) g;
COMMIT;
"""


def baseline_tables(url, schedules):
    """The first version's shape: a seat row with its status, one reservation per request."""
    sql(url, "CREATE TABLE seats (id bigint PRIMARY KEY, schedule_id int NOT NULL, row_no int NOT NULL, "
             "seat_no int NOT NULL, grade text NOT NULL, status text NOT NULL DEFAULT 'AVAILABLE', user_id bigint)")
    sql(url, f"INSERT INTO seats (id, schedule_id, row_no, seat_no, grade) SELECT (s - 1) * {ROWS * SEATS_PER_ROW} + "
             f"(r - 1) * {SEATS_PER_ROW} + n, s, r, n, {GRADES} FROM generate_series(1, %s) s, "
             f"generate_series(1, {ROWS}) r, generate_series(1, {SEATS_PER_ROW}) n", schedules)
    sql(url, "CREATE INDEX seats_available ON seats (schedule_id, row_no, seat_no) WHERE status = 'AVAILABLE'")
    sql(url, "CREATE TABLE reservations (id bigserial PRIMARY KEY, user_id bigint NOT NULL, schedule_id int NOT NULL, "
             "seat_ids bigint[] NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")
    sql(url, "VACUUM ANALYZE seats")


def pgbench(url, script, seconds, clients, variables):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    try:
        command = ["pgbench", "-n", "-M", "prepared", f"-c{clients}", f"-j{min(clients, 2)}", f"-T{seconds}",
                   "-f", f.name] + [f"-D{k}={v}" for k, v in variables.items()] + [url]
        out = run(command)
        return float(re.search(r"tps = ([\d.]+)", out).group(1))
    finally:
        os.unlink(f.name)


def baseline(seconds, schedules, users):
    url = fresh_database(BASELINE_DB)
    baseline_tables(url, schedules)
    wait_autovacuum_done()  # the on-sales' database's, after the round before: not the baseline's to pay
    started = time.monotonic()
    tps = pgbench(url, BASELINE_SCRIPT, seconds, CONCURRENCY,
                  {"schedules": schedules, "users": users, "spp": ROWS * SEATS_PER_ROW,
                   "seat_pct": int(SEAT_FRACTION * 100)})
    holds = sql(url, "SELECT count(*) FROM reservations")[0][0]
    left = sql(url, "SELECT count(*) FROM seats WHERE status = 'AVAILABLE'")[0][0]
    log(f"baseline: {holds} holds in {seconds} s ({tps:.0f} transactions/s), {left} seats left "
        f"(wall {time.monotonic() - started:.1f} s)")
    return holds / seconds, left


def batched_ceiling(seconds):
    url = fresh_database(BASELINE_DB)
    blocks = 1000
    baseline_tables(url, blocks * 1000 // (ROWS * SEATS_PER_ROW))
    tps = pgbench(url, BATCH_SCRIPT, seconds, 1, {"blocks": blocks})
    sql(ADMIN_URL, f'DROP DATABASE "{BASELINE_DB}" WITH (FORCE)')
    return tps * 1000


def worker_replay(commands, runs):
    out = run(["/usr/bin/python3", os.path.join(ROOT, "bench", "worker_replay.py"), "--commands", str(commands),
               "--runs", str(runs), "--worker-bin", os.path.join(BIN, "ft-worker")])
    return json.loads(out.strip().splitlines()[-1])


# --- the pipeline -----------------------------------------------------------------------------

WRK_LINES = os.path.join(ROOT, "bench", "wrk_lines.lua")  # also used by onsale_http.py


CPU_GROUPS = ("loadgen", "ingress", "kafka", "postgres", "worker", "portone", "other")
POLL_CPU_GROUPS = ("wrk", "ingress", "kafka", "postgres", "worker", "expirer", "other")


# Autovacuum of the on-sales' tables, which grow by up to half a million rows a run, took
# PostgreSQL to 26-41 % of a core while wrk measured the polls' capacity in the 21:00 run of
# 2026-11-25 (57 and 38 % of nginx, against 72-82 % before the on-sale of AT_ONCE, the
# largest, was added). Each measurement starts once autovacuum is done, AUTOVACUUM_WAIT_S
# at most, so that it does not measure the run before it.
AUTOVACUUM_WAIT_S = 60


def wait_autovacuum_done():
    """Until no autovacuum worker runs, AUTOVACUUM_WAIT_S at most; logs a wait."""
    started = time.monotonic()
    while sql(ADMIN_URL, "SELECT 1 FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"):
        if time.monotonic() - started >= AUTOVACUUM_WAIT_S:
            log(f"autovacuum still running after {AUTOVACUUM_WAIT_S} s; measuring anyway")
            return
        time.sleep(0.5)
    if time.monotonic() - started >= 1:
        log(f"waited {time.monotonic() - started:.0f} s for autovacuum")


def loadgen(tmp, name, schedules, users, first_user, portone, pay_fraction, extra, cpu=False):
    """One load generator run, once autovacuum is done; its JSON summary. With cpu, also the
    CPU (µs) each group of processes used per decided request during its on-sale
    (doc["cpu_us_per_decided"])."""
    wait_autovacuum_done()
    sampler = CpuSampler() if cpu else None
    summary = os.path.join(tmp, f"{name}.json")
    tokens = os.path.join(tmp, f"{name}.tokens")
    command = [os.path.join(BIN, "ft-loadgen"), "--base", BASE, "--users", str(users), "--accounts", "mint",
               "--jwt-secret-file", os.path.join(STATE, "secrets", "jwt-secret"), "--first-user-id", str(first_user),
               "--schedules", ",".join(map(str, schedules)), "--seat-fraction", str(SEAT_FRACTION),
               "--connections", str(LOADGEN_CONNECTIONS), "--tokens-out", tokens, "--portone", portone.url,
               "--pay-fraction", str(pay_fraction), "--bad-pay-fraction", str(BAD_PAY_FRACTION)] + extra
    with open(summary, "w", encoding="utf-8") as out:
        subprocess.run(command, stdout=out, check=True)
    ended = time.monotonic()
    with open(summary, encoding="utf-8") as f:
        doc = json.load(f)
    if sampler:
        doc["cpu_us_per_decided"] = sampler.per_decided(ended - doc["elapsed_s"], ended,
                                                         doc["held"] + doc["rejected"], doc["elapsed_s"])
    log(f"{name}: sent {doc['sent']}, accepted {doc['accepted_per_s']:.0f}/s, decided {doc['decided_per_s']:.0f}/s, "
        f"p99 to 202 {doc['ms_to_202']['p99']:.1f} ms, unresolved {doc['unresolved']}, "
        f"4xx {doc['http_4xx']}, 5xx {doc['http_5xx']}")
    pay = doc["payments"]
    log(f"{name}: payments {pay['attempted']}, paid {pay['paid']}, refused {sum(pay['refused'].values())}, "
        f"refunded {pay['refunded']}, open {pay['open']}, failed {pay['failed']} {pay['errors'] or ''}, "
        f"p99 confirmation to PAID {pay['ms_confirm_to_paid']['p99']:.0f} ms")
    return doc, summary, tokens


class CpuSampler:
    """Every process's CPU ticks, read from /proc four times a second in a thread of its own,
    so that a load generator run's CPU can be taken from its on-sale's start (T0: after it
    set up its users and read its schedules' seat maps) to its end."""

    def __init__(self):
        self.samples, self.groups, self.stop = [], {}, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            ticks = cpu_ticks()
            self.samples.append((time.monotonic(), ticks))
            for pid in ticks.keys() - self.groups.keys():  # named while alive: the load generator ends first
                self.groups[pid] = group_of(pid)
            if self.stop.wait(0.25):
                return

    def _window(self, t0, ended, groups):
        """(seconds, CPU seconds by group) between the first sample after t0 and the last
        before ended, the sampler stopped; None with fewer than two samples inside."""
        self.stop.set()
        self.thread.join()
        inside = [s for s in self.samples if t0 <= s[0] < ended]
        if len(inside) < 2:
            return None
        (t_a, before), (t_b, after) = inside[0], inside[-1]
        used = dict.fromkeys(groups, 0.0)
        for group, ticks in ticks_by_group(before, after, self.groups).items():
            used[group if group in groups else "other"] += ticks / TICKS  # "other": this script, kernel threads...
        return t_b - t_a, used

    def per_decided(self, t0, ended, decided, elapsed):
        """µs of CPU per decided request by group, the load generator's decided count scaled
        to the window from its T0 to its end."""
        window = self._window(t0, ended, CPU_GROUPS)
        if window is None or decided <= 0:
            return {}
        seconds, used = window
        in_window = decided * seconds / elapsed
        used = {g: 1e6 * v / in_window for g, v in used.items()}
        used["total"] = sum(used.values())
        return used

    def shares(self, t0, ended, groups):
        """% of one core each group used from t0 to ended."""
        window = self._window(t0, ended, groups)
        if window is None:
            return {}
        seconds, used = window
        return {g: 100 * v / seconds for g, v in used.items()}


# The ingress's own histograms: POST /api/v1/reservations from the request to its answer,
# and Kafka's acknowledgement of each command it produced (librdkafka's queue, the broker,
# the delivery report's way back).
INGRESS_HISTOGRAMS = {
    "reserve": re.compile(r'^ft_http_request_duration_seconds_bucket\{route="/api/v1/reservations",'
                          r'le="([^"]+)"\}\s+(\d+)$', re.M),
    "kafka_ack": re.compile(r'^ft_kafka_ack_seconds_bucket\{le="([^"]+)"\}\s+(\d+)$', re.M),
}


def ingress_histograms():
    """The ingress's histograms above, by name, then count by bound."""
    with urllib.request.urlopen(BASE + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    return {name: {bound: int(count) for bound, count in pattern.findall(text)}
            for name, pattern in INGRESS_HISTOGRAMS.items()}


def p99_bound_ms(before, after):
    """The least histogram bound (ms) under which 99 % of the observations between the two
    readings fell, as the ingress timed them (no load generator, no sockets between them)."""
    total = after.get("+Inf", 0) - before.get("+Inf", 0)
    bounds = sorted((float(b), after[b] - before.get(b, 0)) for b in after if b != "+Inf")
    for bound, count in bounds:
        if total and count >= 0.99 * total:
            return bound * 1000
    return None


def open_loop(tmp, name, schedules, users, first_user, portone, pay_fraction, rate, seconds, seed):
    """An open loop at `rate` requests/s, with the ingress's own histograms of its answers and
    of Kafka's acknowledgements beside the load generator's times."""
    before = ingress_histograms()
    doc, summary, tokens = loadgen(tmp, name, schedules, users, first_user, portone, pay_fraction,
                                   ["--rate", str(rate), "--requests", str(int(rate * seconds)), "--deadline",
                                    str(seconds + 60), "--seed", str(seed)], cpu=True)
    after = ingress_histograms()
    doc["ingress_p99_bound_ms"] = p99_bound_ms(before["reserve"], after["reserve"])
    doc["kafka_ack_p99_bound_ms"] = p99_bound_ms(before["kafka_ack"], after["kafka_ack"])
    return doc, summary, tokens


def onsale_round(tmp, index, schedule_sets, users, first_user, seconds, portone):
    """Six on-sales on schedules of their own: closed loop with nobody paying (the
    baseline's work: holds), then open loop with nobody paying at SUSTAINED of what that
    decided; closed loop with PAY_FRACTION of the holders paying, then open loop, paying
    too, at SUSTAINED of what that decided; then the first again with an Idempotency-Key on
    every request, as the browser sends, after the first with AT_ONCE requests in flight
    (issue 3's end-to-end figure); then the polls' capacity and nginx's under the same
    requests."""
    closed_loop = ["--concurrency", str(CONCURRENCY), "--requests", "10000000", "--duration", str(seconds),
                   "--deadline", str(seconds + 60)]
    holds, s0, t0 = loadgen(tmp, f"holds-{index}", schedule_sets[0], users, first_user, portone, 0,
                            closed_loop + ["--seed", str(index + 201)], cpu=True)
    holds_rate = max(100, round(SUSTAINED * holds["decided_per_s"]))
    holds_open, s4, t4 = open_loop(tmp, f"holds-open-{index}", schedule_sets[4], users, first_user, portone, 0,
                                   holds_rate, seconds, index + 501)
    closed, s1, t1 = loadgen(tmp, f"closed-{index}", schedule_sets[1], users, first_user, portone, PAY_FRACTION,
                             closed_loop + ["--seed", str(index + 1)])
    rate = max(100, round(SUSTAINED * closed["decided_per_s"]))
    opened, s2, t2 = open_loop(tmp, f"open-{index}", schedule_sets[2], users, first_user, portone, PAY_FRACTION,
                               rate, seconds, index + 101)
    crowd, s5, t5 = loadgen(tmp, f"at-once-{index}", schedule_sets[5], users, first_user, portone, 0,
                            ["--concurrency", str(AT_ONCE)] + closed_loop[2:] + ["--seed", str(index + 601)], cpu=True)
    keyed, s3, t3 = loadgen(tmp, f"keyed-{index}", schedule_sets[3], users, first_user, portone, 0,
                            closed_loop + ["--seed", str(index + 301), "--idempotency-keys"])
    # The last run's tokens, decided seconds ago: the ingress answers them from memory, as it
    # answers an on-sale's polls. The first run's were decided more than DECIDED_TTL_MS (120 s)
    # before in a full run, so some were answered by PostgreSQL: 14,392-15,105 polls/s with
    # PostgreSQL at 85 % of a core, against 76,703-80,863/s (alternated on one stack, 2026-11-25).
    wait_autovacuum_done()
    sampler, started = CpuSampler(), time.monotonic()
    polls = wrk(BASE, max(5, seconds // 2), CONCURRENCY, WRK_LINES, [t3, "poll"])
    polls["cpu_share"] = sampler.shares(started, time.monotonic(), POLL_CPU_GROUPS)  # who else used the cores
    log(f"polls (wrk): {polls['per_s']:.0f}/s, non-2xx {polls['non_2xx']}, % of a core: "
        + " ".join(f"{g} {v:.0f}" for g, v in polls["cpu_share"].items()))
    nginx = nginx_static(max(5, seconds // 2), CONCURRENCY, t3)
    log(f"nginx, the same requests: {nginx:,.0f}/s")
    return ({"holds": holds, "holds_open": holds_open, "closed": closed, "open": opened, "keyed": keyed,
             "at_once": crowd, "holds_open_rate": holds_rate, "open_rate": rate, "poll_capacity": polls,
             "nginx_per_s": nginx},
            [s0, s4, s1, s2, s3, s5], [t0, t4, t1, t2, t3, t5])


# The warm-up runs in on-sales of WARM_UP_STEP_S until it has lasted the round's length and
# Kafka's JIT compiler used at most JIT_QUIET of a core in the last one, WARM_UP_MAX_S at most.
WARM_UP_STEP_S, WARM_UP_MAX_S, JIT_QUIET = 10, 120, 0.05
JIT_THREADS = ("C1 CompilerThre", "C2 CompilerThre")


def warm_up(tmp, schedules, users, first_user, seconds, portone):
    """Unmeasured on-sales before the first round, on schedules of their own (sold out after
    the first step: the later steps' requests are decided SOLD_OUT or SEAT_TAKEN, through
    Kafka all the same). Kafka is a JVM: a broker started minutes ago is still compiling its
    hot paths. In a short run on a broker started just before it, its JIT compiler threads
    took 28 %, 30 % and 10 % of a core in the warm-up's three 10-s steps, while the decided
    rate went from 4,984 to 5,143 to 6,593 per s: time that a broker in service spent long
    ago. So the warm-up goes on until the compiler is quiet. The invariants are checked on
    its tokens too."""
    pid = service_pid("kafka", "kafka.Kafka")  # the local broker's JVM
    summaries, token_files, spent, share = [], [], 0, None
    while True:
        before, started = thread_ticks(pid, JIT_THREADS) if pid else None, time.monotonic()
        _, summary, tokens = loadgen(tmp, f"warm-up-{len(summaries) + 1}", schedules, users, first_user, portone, 0,
                                     ["--concurrency", str(CONCURRENCY), "--requests", "10000000", "--duration",
                                      str(WARM_UP_STEP_S), "--deadline", str(WARM_UP_STEP_S + 60),
                                      "--seed", str(999 + len(summaries))])
        summaries.append(summary)
        token_files.append(tokens)
        spent += WARM_UP_STEP_S
        after = thread_ticks(pid, JIT_THREADS) if before is not None else None
        share = (after - before) / TICKS / (time.monotonic() - started) if after is not None else None
        log(f"warm-up, {spent} s of on-sale: Kafka's JIT compiler at "
            f"{'(not observed: no local broker)' if share is None else f'{share:.0%} of a core'}")
        if spent >= WARM_UP_MAX_S or (spent >= seconds and (share is None or share <= JIT_QUIET)):
            return summaries, token_files, {"warm_up_s": spent, "warm_up_jit_share": share}


PAYMENT_FIGURES = ("pay_attempted", "pay_paid", "pay_refused", "pay_refunded", "pay_wrong_amount", "pay_unfinished",
                   "p50_to_paid", "p99_to_paid", "p50_to_refunded", "p99_to_refunded")


def payment_figures(got):
    """A round's payments: counts of the two paying load generator runs, times of the open loop's."""
    runs = [got["closed"]["payments"], got["open"]["payments"]]
    opened = got["open"]["payments"]
    return {"pay_attempted": sum(p["attempted"] for p in runs), "pay_paid": sum(p["paid"] for p in runs),
            "pay_refused": sum(sum(p["refused"].values()) for p in runs),
            "pay_refunded": sum(p["refunded"] for p in runs),
            "pay_wrong_amount": sum(p["wrong_amount"] for p in runs),
            "pay_unfinished": sum(p["open"] + p["failed"] for p in runs),
            "p50_to_paid": opened["ms_confirm_to_paid"]["p50"], "p99_to_paid": opened["ms_confirm_to_paid"]["p99"],
            "p50_to_refunded": opened["ms_confirm_to_refunded"]["p50"],
            "p99_to_refunded": opened["ms_confirm_to_refunded"]["p99"]}


# --- the table --------------------------------------------------------------------------------

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=0):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def round_ratios(results, a, b):
    """Each round's a / b: the two measured side by side, minutes apart in one round."""
    return [x / y if x and y else None for x, y in zip(results[a], results[b])]


def table(r, invariants):
    def ratio(a, b):
        return a / b if a and b else None

    def by_round(name, scale, digits, unit):
        """The rounds' own ratios, when there are several."""
        values = r[name]
        return f" (rounds {' / '.join(fmt(v * scale if v else None, digits) for v in values)}{unit})" \
            if len(values) > 1 else ""

    # The median of each round's ratio, not the ratio of the medians, which pairs figures of
    # different rounds: polls 32,468 / 89,993 / 71,039 against nginx 129,411 / 133,371 /
    # 105,716 per s were 25 / 67 / 67 % round by round, and 55 % as medians (14:01 run).
    decided_x, keyed_x, poll_x = (median(r[name]) for name in ("decided_x_rounds", "keyed_x_rounds", "poll_x_rounds"))
    replay_x = ratio(r["worker_replay_per_s"], r["batched_ceiling_per_s"])  # one replay figure for all rounds

    def verdict(ok):
        return "n/a" if ok is None else "met" if ok else "NOT met"

    at_once_ok = None if r["at_once_decided_per_s"] is None or r["at_once_p99_202"] is None else \
        r["at_once_decided_per_s"] >= 25000 and r["at_once_p99_202"] <= 50

    lines = [
        f"Fair Ticket on-sale benchmark ({r['label']}; medians of {r['rounds']} round(s); one 2-core machine, "
        f"load tools included)",
        "",
        "| figure | value | target | |",
        "|---|---:|---|---|",
        f"| accepted req/s (closed loop, {CONCURRENCY} in flight, nobody paying: the baseline's work) | "
        f"{fmt(r['holds_accepted_per_s'])} | | |",
        f"| decided req/s (same run) | {fmt(r['holds_decided_per_s'])} | ≥ 4 × baseline | "
        f"{fmt(decided_x, 2)}× {verdict(decided_x and decided_x >= 4)}{by_round('decided_x_rounds', 1, 2, '×')} |",
        f"| decided req/s, every request with an Idempotency-Key (as the browser sends them), nobody paying; "
        f"p50 time to 202 | {fmt(r['keyed_decided_per_s'])}; {fmt(r['keyed_p50_202'], 1)} ms | | "
        f"{fmt(keyed_x, 2)}× baseline{by_round('keyed_x_rounds', 1, 2, '×')} |",
        f"| accepted / decided req/s; p50 / p99 time to 202 (closed loop, {AT_ONCE} in flight, nobody paying: "
        f"issue 3's end to end) | {fmt(r['at_once_accepted_per_s'])} / {fmt(r['at_once_decided_per_s'])}; "
        f"{fmt(r['at_once_p50_202'], 1)} / {fmt(r['at_once_p99_202'], 1)} ms | ≥ 25,000 decided/s, p99 ≤ 50 ms | "
        f"{verdict(at_once_ok)}{by_round('at_once_decided_rounds', 1, 0, '/s')} |",
        f"| CPU per decided request, same run, µs ({' / '.join(CPU_GROUPS)}) | "
        f"{' / '.join(fmt(r.get(f'at_once_cpu_us_{g}')) for g in CPU_GROUPS)} = "
        f"{fmt(r.get('at_once_cpu_us_total'))} | ≤ 80 for 25,000/s on 2 cores | |",
        f"| accepted / decided req/s (closed loop, {PAY_FRACTION:.0%} of holders paying) | "
        f"{fmt(r['accepted_per_s'])} / {fmt(r['decided_per_s'])} | | |",
        f"| p50 / p99 time to 202, open loop, nobody paying, at {fmt(r['holds_open_rate'])}/s ({SUSTAINED:.0%} of "
        f"the nobody-paying decided rate) | {fmt(r['holds_p50_202'], 1)} / {fmt(r['holds_p99_202'], 1)} ms | p99 ≤ 50 ms | "
        f"{verdict(r['holds_p99_202'] is not None and r['holds_p99_202'] <= 50)} |",
        f"| p99 time to 202 as the ingress times it / of Kafka's acknowledgements, same run | "
        f"≤ {fmt(r['holds_p99_202_ingress'], 1)} / ≤ {fmt(r['holds_p99_kafka_ack'], 1)} ms (histogram bounds) | | |",
        f"| p50 / p99 time to 202, open loop at {fmt(r['open_rate'])}/s ({SUSTAINED:.0%} of the paying decided rate) | "
        f"{fmt(r['p50_202'], 1)} / "
        f"{fmt(r['p99_202'], 1)} ms | p99 ≤ 50 ms | {verdict(r['p99_202'] is not None and r['p99_202'] <= 50)} |",
        f"| p99 time to 202 as the ingress times it (request to answer, no load generator or sockets), same run | "
        f"≤ {fmt(r['p99_202_ingress'], 1)} ms (histogram bound) | | |",
        f"| p99 of Kafka's acknowledgement of those commands (produce to delivery report), same run | "
        f"≤ {fmt(r['p99_kafka_ack'], 1)} ms (histogram bound) | | |",
        f"| p50 / p99 time to outcome, same run | {fmt(r['p50_outcome'], 0)} / {fmt(r['p99_outcome'], 0)} ms | | |",
        f"| poll req/s during the on-sale (pollAfterMs honoured) | {fmt(r['poll_per_s'])} | | |",
        f"| poll req/s, capacity (wrk, {CONCURRENCY} connections) | {fmt(r['poll_capacity_per_s'])} "
        f"| ≥ 60 % of nginx | "
        f"{fmt(poll_x * 100 if poll_x else None)} % {verdict(poll_x and poll_x >= 0.6)}"
        f"{by_round('poll_x_rounds', 100, 0, ' %')} |",
        f"| worker-only replay commands/s | {fmt(r['worker_replay_per_s'])} | ≥ 75 % of ceiling | "
        f"{fmt(replay_x * 100 if replay_x else None)} % {verdict(replay_x and replay_x >= 0.75)} |",
        f"| batched-write ceiling rows/s (1,000 UPDATE + 1,000 INSERT per txn) | {fmt(r['batched_ceiling_per_s'])} "
        f"| | |",
        f"| nginx static 200-byte JSON req/s (wrk, {CONCURRENCY} connections, the polls' requests) "
        f"| {fmt(r['nginx_per_s'])} | | |",
        f"| CPU while wrk measured the polls' capacity, % of one core ({' / '.join(POLL_CPU_GROUPS)}), by round | "
        f"{'; '.join(' / '.join(fmt(shares.get(g)) for g in POLL_CPU_GROUPS) for shares in r['poll_cpu_rounds'])} "
        f"| | |",
        f"| baseline holds/s (lock per request, pgbench, {CONCURRENCY} clients) | {fmt(r['baseline_holds_per_s'])} "
        f"| | |",
        f"| CPU per decided request, nobody-paying run from its T0, µs ({' / '.join(CPU_GROUPS)}) | "
        f"{' / '.join(fmt(r.get(f'cpu_us_{g}')) for g in CPU_GROUPS)} = {fmt(r.get('cpu_us_total'))} | "
        f"≤ {fmt(2e6 / (4 * r['baseline_holds_per_s']) if r['baseline_holds_per_s'] else None)} for 4 × baseline "
        f"on 2 cores | |",
        f"| CPU during the nobody-paying open loop from its T0, % of one core ({' / '.join(CPU_GROUPS)}) | "
        f"{' / '.join(fmt(r.get(f'holds_open_cpu_{g}')) for g in CPU_GROUPS)} = "
        f"{fmt(r.get('holds_open_cpu_total'))} of 200 | | |",
        f"| CPU during the paying open loop from its T0, % of one core ({' / '.join(CPU_GROUPS)}) | "
        f"{' / '.join(fmt(r.get(f'open_cpu_{g}')) for g in CPU_GROUPS)} = {fmt(r.get('open_cpu_total'))} "
        f"of 200 | | |",
        f"| peak RSS ingress / worker / expirer | {' / '.join(fmt(v / 1024 if v else None, 1) for v in r['rss_kb'])} "
        f"MB | | |",
        f"| payments, both paying runs ({PAY_FRACTION:.0%} of holds; {BAD_PAY_FRACTION:.0%} of those 1,000 won short): "
        f"attempted / paid / refused (409) / refunded / unfinished | {fmt(r['pay_attempted'])} / {fmt(r['pay_paid'])} "
        f"/ {fmt(r['pay_refused'])} / {fmt(r['pay_refunded'])} / {fmt(r['pay_unfinished'])} | "
        f"refunded = paid short ({fmt(r['pay_wrong_amount'])}) | {verdict(r['pay_refunds_as_expected'])} |",
        f"| p50 / p99 time from confirmation to PAID, open loop (first poll after pollAfterMs = 500 ms) | "
        f"{fmt(r['p50_to_paid'])} / {fmt(r['p99_to_paid'])} ms | | |",
        f"| p50 / p99 time from confirmation to REFUNDED, open loop | {fmt(r['p50_to_refunded'])} / "
        f"{fmt(r['p99_to_refunded'])} ms | | |",
        "",
        f"Warm-up before round 1: {fmt(r.get('warm_up_s'))} s of on-sale, until Kafka's JIT compiler was quiet "
        f"(at most {JIT_QUIET:.0%} of a core): "
        f"{'not observed' if r.get('warm_up_jit_share') is None else format(r['warm_up_jit_share'], '.0%')} "
        f"in its last {WARM_UP_STEP_S} s.",
        "",
        "Invariants:",
    ]
    lines += [f"  {'n/a ' if v['ok'] is None else 'ok  ' if v['ok'] else 'FAIL'} {k}: {v['detail']}"
              for k, v in invariants.items()]
    return "\n".join(lines)


def bench_setup(schedules, users):
    """What a benchmark on its own stack starts from: PostgreSQL and Kafka up, make up's
    services stopped, the database BENCH_DB made afresh with `schedules` schedules and
    `users` users, names for fresh topics, and the PortOne imitation. Returns (topics,
    schedule ids, first user id, PortOne)."""
    run([os.path.join(ROOT, "deploy", "local", "stack.sh"), "infra-up"])
    for name in reversed(SERVICES):
        if service_pid(name):
            log(f"stopping the running {name} (make up starts the development stack again)")
        stop_service(name)
    tag = secrets.token_hex(3)
    topics = (f"ft.bench.{tag}.commands", f"ft.bench.{tag}.outcomes")
    schedule_ids, first_user = load_catalog(fresh_database(BENCH_DB), schedules, users)
    log(f"catalog: {len(schedule_ids)} schedules of {ROWS * SEATS_PER_ROW} seats, {users} users; topics {topics[0]} "
        f"({PARTITIONS} partitions)")
    portone = PortOne()
    log(f"PortOne imitation on {portone.url}")
    return topics, schedule_ids, first_user, portone


def start_services(topics, portone):
    """The stack's services (stack.sh up) on BENCH_DB and the given topics."""
    stack_log = os.path.join(STATE, "logs", "bench-stack.log")
    with open(stack_log, "w", encoding="utf-8") as out:
        started = subprocess.run([os.path.join(ROOT, "deploy", "local", "stack.sh"), "up"],
                                 env=stack_env(topics, portone), stdout=out, stderr=subprocess.STDOUT)
    if started.returncode != 0:
        raise SystemExit(f"the stack did not start: see {stack_log}")


def bench_teardown(topics, portone):
    """Undoes bench_setup and start_services, but for PostgreSQL, Kafka and the database."""
    for name in reversed(SERVICES):
        stop_service(name)
    portone.stop()
    try:
        admin = AdminClient({"bootstrap.servers": BROKERS})
        for future in admin.delete_topics(list(topics)).values():
            future.result(timeout=30)
    except Exception as e:  # a topic left behind is harmless
        log(f"topics not deleted: {e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="three rounds, longer measurements")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--seconds", type=int, help="length of each on-sale measurement")
    parser.add_argument("--smoke", action="store_true",
                        help="make test's run: every part for 2 s, no warm-up, results in smoke.json; it checks the "
                             "machinery and the invariants, its figures mean nothing")
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.full else 1)
    seconds = args.seconds or (20 if args.full else 2 if args.smoke else 10)
    schedules_per_set = 12 * math.ceil(seconds / 10)
    users = 2000 if args.smoke else 20000
    replay_commands = 500000 if args.full else 20000 if args.smoke else 100000
    label = ("full run (make bench FULL=1)" if args.full else "smoke run (make test; figures not comparable)"
             if args.smoke else "short run (make bench)")

    for tool in ("wrk", "pgbench", "nginx"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            raise SystemExit(f"{tool} is not installed (make deps)")
    # ON_SALES_PER_ROUND on-sales per round, and one more set of schedules for the warm-up.
    topics, schedule_ids, first_user, portone = bench_setup((ON_SALES_PER_ROUND * rounds + 1) * schedules_per_set,
                                                            users)

    results = {k: [] for k in ("holds_accepted_per_s", "holds_decided_per_s", "keyed_decided_per_s", "keyed_p50_202",
                               "accepted_per_s", "decided_per_s",
                               "p50_202", "p99_202", "p99_202_ingress", "p99_kafka_ack", "p50_outcome", "p99_outcome",
                               "poll_per_s", "poll_capacity_per_s", "nginx_per_s", "baseline_holds_per_s",
                               "batched_ceiling_per_s", "open_rate", "holds_open_rate", "holds_p50_202",
                               "holds_p99_202", "holds_p99_202_ingress", "holds_p99_kafka_ack",
                               "at_once_accepted_per_s", "at_once_decided_per_s", "at_once_p50_202",
                               "at_once_p99_202") + PAYMENT_FIGURES
               + tuple(f"cpu_us_{g}" for g in CPU_GROUPS + ("total",))}
    summaries, token_files, raw, poll_cpu_rounds = [], [], [], []
    try:
        start_services(topics, portone)
        with tempfile.TemporaryDirectory() as tmp:
            warm_summaries, warm_tokens, warmth = ([], [], {"warm_up_s": 0, "warm_up_jit_share": None}) if args.smoke \
                else warm_up(tmp, schedule_ids[ON_SALES_PER_ROUND * rounds * schedules_per_set:], users, first_user,
                             seconds, portone)
            summaries += warm_summaries
            token_files += warm_tokens
            for i in range(rounds):
                log(f"round {i + 1} of {rounds}")
                holds, _ = baseline(seconds, schedules_per_set, users)
                results["baseline_holds_per_s"].append(holds)
                results["batched_ceiling_per_s"].append(batched_ceiling(max(5, seconds // 2)))
                log(f"batched ceiling: {results['batched_ceiling_per_s'][-1]:,.0f} rows/s")
                sets = [schedule_ids[(ON_SALES_PER_ROUND * i + k) * schedules_per_set:
                                     (ON_SALES_PER_ROUND * i + k + 1) * schedules_per_set]
                        for k in range(ON_SALES_PER_ROUND)]
                got, s, t = onsale_round(tmp, i, sets, users, first_user, seconds, portone)
                raw.append(got)
                summaries += s
                token_files += t
                results["holds_accepted_per_s"].append(got["holds"]["accepted_per_s"])
                results["holds_decided_per_s"].append(got["holds"]["decided_per_s"])
                results["keyed_decided_per_s"].append(got["keyed"]["decided_per_s"])
                results["keyed_p50_202"].append(got["keyed"]["ms_to_202"]["p50"])
                for group, us in got["holds"]["cpu_us_per_decided"].items():
                    results.setdefault(f"cpu_us_{group}", []).append(us)
                at_once = got["at_once"]
                results["at_once_accepted_per_s"].append(at_once["accepted_per_s"])
                results["at_once_decided_per_s"].append(at_once["decided_per_s"])
                results["at_once_p50_202"].append(at_once["ms_to_202"]["p50"])
                results["at_once_p99_202"].append(at_once["ms_to_202"]["p99"])
                for group, us in at_once["cpu_us_per_decided"].items():
                    results.setdefault(f"at_once_cpu_us_{group}", []).append(us)
                # The open loops' CPU as shares of a core: how full the machine was at the sustained
                # rates, and what the payments cost beside the holds.
                for loop, prefix in (("holds_open", "holds_open_cpu"), ("open", "open_cpu")):
                    for group, us in got[loop]["cpu_us_per_decided"].items():
                        results.setdefault(f"{prefix}_{group}", []).append(us * got[loop]["decided_per_s"] / 1e4)
                results["accepted_per_s"].append(got["closed"]["accepted_per_s"])
                results["decided_per_s"].append(got["closed"]["decided_per_s"])
                results["poll_per_s"].append(got["closed"]["poll_per_s"])
                results["p50_202"].append(got["open"]["ms_to_202"]["p50"])
                results["p99_202"].append(got["open"]["ms_to_202"]["p99"])
                results["p99_202_ingress"].append(got["open"]["ingress_p99_bound_ms"])
                results["p99_kafka_ack"].append(got["open"]["kafka_ack_p99_bound_ms"])
                results["p50_outcome"].append(got["open"]["ms_to_outcome"]["p50"])
                results["p99_outcome"].append(got["open"]["ms_to_outcome"]["p99"])
                results["poll_capacity_per_s"].append(got["poll_capacity"]["per_s"])
                results["nginx_per_s"].append(got["nginx_per_s"])
                poll_cpu_rounds.append(got["poll_capacity"]["cpu_share"])
                results["open_rate"].append(got["open_rate"])
                results["holds_open_rate"].append(got["holds_open_rate"])
                results["holds_p50_202"].append(got["holds_open"]["ms_to_202"]["p50"])
                results["holds_p99_202"].append(got["holds_open"]["ms_to_202"]["p99"])
                results["holds_p99_202_ingress"].append(got["holds_open"]["ingress_p99_bound_ms"])
                results["holds_p99_kafka_ack"].append(got["holds_open"]["kafka_ack_p99_bound_ms"])
                for key, value in payment_figures(got).items():
                    results[key].append(value)
            rss = [peak_rss_kb(name) for name in SERVICES]
            log(f"worker-only replay of {replay_commands} commands")
            replay = worker_replay(replay_commands, rounds)
            # The invariants on a quiet stack: refunds done, no more expiries, the worker caught up.
            env = stack_env(topics, portone)
            wait_payments_settled(env["FT_DATABASE_URL"])
            stop_service("expirer")
            inv_json = os.path.join(tmp, "invariants.json")
            checker = [os.path.join(ROOT, "bench", "check_invariants.py"), "--database-url", env["FT_DATABASE_URL"],
                       "--topic", topics[0], "--base", BASE, "--portone", portone.url, "--replay", "--json",
                       inv_json, "--worker-bin", os.path.join(BIN, "ft-worker"), "--admin-bin",
                       os.path.join(BIN, "ft-admin")]
            for path in summaries:
                checker += ["--summary", path]
            for path in token_files:
                checker += ["--tokens", path]
            log("checking the invariants")
            subprocess.run(["/usr/bin/python3"] + checker, env=env, stdout=subprocess.DEVNULL)
            with open(inv_json, encoding="utf-8") as f:
                invariants = json.load(f)
    finally:
        bench_teardown(topics, portone)

    summary = {k: median(v) for k, v in results.items()}
    summary.update(warmth)
    summary.update(decided_x_rounds=round_ratios(results, "holds_decided_per_s", "baseline_holds_per_s"),
                   keyed_x_rounds=round_ratios(results, "keyed_decided_per_s", "baseline_holds_per_s"),
                   poll_x_rounds=round_ratios(results, "poll_capacity_per_s", "nginx_per_s"),
                   poll_cpu_rounds=poll_cpu_rounds, at_once_decided_rounds=results["at_once_decided_per_s"])
    summary.update(label=label, rounds=rounds, rss_kb=rss, worker_replay_per_s=replay["median_commands_per_s"],
                   pay_refunds_as_expected=all(refunded == wrong for refunded, wrong in
                                               zip(results["pay_refunded"], results["pay_wrong_amount"])))
    text = table(summary, invariants)
    print(text)
    os.makedirs(os.path.join(STATE, "bench"), exist_ok=True)
    with open(os.path.join(STATE, "bench", "smoke.json" if args.smoke else "latest.json"), "w", encoding="utf-8") as f:
        json.dump({"summary": summary, "rounds": raw, "results": results, "worker_replay": replay,
                   "invariants": invariants, "table": text}, f, indent=1)
    sys.exit(0 if all(v["ok"] is not False for v in invariants.values()) else 1)


if __name__ == "__main__":
    main()
