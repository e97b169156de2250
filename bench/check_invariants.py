#!/usr/bin/python3
"""The on-sale's invariants, checked after a benchmark run or on their own:

  1. no seat in two live reservations (PostgreSQL);
  2. every 202 token resolved (the load generator's summaries and token files, and
     request_outcomes);
  3. held + sold + available = total per schedule, each counted on its own, and the
     ingress's seat map agrees (with --base);
  4. FIFO overtakes = 0: the log of each partition, read from offset 0, run through a
     sequential first-come-first-served model of the decisions; every outcome must be the
     one the model gives at that point of the log;
  5. replay digest = live digest (ft-worker --replay into a database holding only the
     catalog, then compared with ft-admin digest of the live one) with --replay;
  6. every failed payment refunded exactly once, when the run had payments: in PostgreSQL
     (each refund DONE with exactly one successful attempt, none of a PAID payment) and,
     with --portone, at the PortOne imitation (its cancels: one per refunded payment, none
     of a PAID one); the load generators' wrong-amount payments all refunded.

    bench/check_invariants.py --database-url URL --topic ft.reservation-commands \
        [--summary loadgen.json ...] [--tokens tokens.tsv ...] [--base http://127.0.0.1:8080] \
        [--portone http://127.0.0.1:8090] \
        [--replay --worker-bin build/release/bin/ft-worker --admin-bin build/release/bin/ft-admin]

Run it on a quiet stack (no requests, expirer stopped or idle): the live digest and the
log must not move while it reads them. Prints one line per invariant and a JSON document
with --json; exits 1 when any invariant fails, 0 otherwise ("n/a" lines do not fail)."""
import argparse
import heapq
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections import Counter

import psycopg2
from confluent_kafka import Consumer, TopicPartition

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CATALOG = ("users", "venues", "venue_rows", "concerts", "schedules", "seats")
SEAT_LIMIT = int(os.environ.get("FT_SEAT_LIMIT_PER_USER", "4"))


class Db:
    """One autocommit connection; rows() and value() run a query."""

    def __init__(self, url):
        self.conn = psycopg2.connect(url)
        self.conn.set_session(autocommit=True)
        self.url = url

    def has_table(self, name):
        return self.value("SELECT to_regclass(%s) IS NOT NULL", name)

    def rows(self, sql, *args):
        cur = self.conn.cursor()
        try:
            cur.execute(sql, args)
            return cur.fetchall()
        finally:
            cur.close()

    def value(self, sql, *args):
        (first,) = self.rows(sql, *args)[0][:1]
        return first


# --- 1. seats in two live reservations ----------------------------------------------------

def check_double_booking(db):
    doubles = db.value("SELECT count(*) FROM (SELECT seat_id FROM reservation_seats WHERE live "
                       "GROUP BY seat_id HAVING count(*) > 1) x")
    # The seat rows' live flag must follow their reservation's (the cascading key does it).
    drift = db.value("SELECT count(*) FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id "
                     "WHERE rs.live <> r.live")
    return doubles == 0 and drift == 0, f"{doubles} seats in two live reservations, {drift} seat rows out of step"


# --- 2. every 202 token resolved ---------------------------------------------------------

def check_tokens(db, summaries, token_files):
    if not summaries and not token_files:
        return None, "n/a: no load generator output given"
    unresolved = 0
    for path in summaries:
        with open(path, encoding="utf-8") as f:
            doc = json.loads(f.read().strip().splitlines()[-1])
        unresolved += doc["unresolved"]
    tokens = []
    for path in token_files:
        with open(path, encoding="utf-8") as f:
            tokens += [line.split("\t", 1)[0] for line in f if line.strip()]
    found = 0
    for i in range(0, len(tokens), 10000):
        found += db.value("SELECT count(*) FROM request_outcomes WHERE token = ANY(%s)", tokens[i:i + 10000])
    missing = len(tokens) - found
    return unresolved == 0 and missing == 0, \
        f"{len(tokens)} tokens answered 202; {missing} without an outcome in PostgreSQL; " \
        f"{unresolved} unresolved by the load generators' deadline"


# --- 3. held + sold + available = total --------------------------------------------------

def check_seat_counts(db, base):
    rows = db.rows("""
        SELECT s.schedule_id, count(*),
               count(*) FILTER (WHERE r.status = 'HELD'),
               count(*) FILTER (WHERE r.status = 'PAID'),
               count(*) FILTER (WHERE r.id IS NULL)
        FROM seats s
        LEFT JOIN reservation_seats rs ON rs.seat_id = s.id AND rs.live
        LEFT JOIN reservations r ON r.id = rs.reservation_id
        GROUP BY s.schedule_id ORDER BY 1""")
    bad = [r for r in rows if r[2] + r[3] + r[4] != r[1]]
    held = sum(r[2] for r in rows)
    sold = sum(r[3] for r in rows)
    available = sum(r[4] for r in rows)
    total = sum(r[1] for r in rows)
    detail = f"{len(rows)} schedules: held {held} + sold {sold} + available {available} = {held + sold + available}, " \
             f"total {total}"
    api_bad = []
    if base:
        # The ingress refreshes its seat map at most every 250 ms: give it a moment.
        time.sleep(0.5)
        for schedule_id, _, h, s, a in rows:
            with urllib.request.urlopen(f"{base}/api/v1/seats/{schedule_id}", timeout=30) as resp:
                seats = json.load(resp)["seats"]
            counts = {k: sum(1 for x in seats if x["status"] == k) for k in ("HELD", "SOLD", "AVAILABLE")}
            if (counts["HELD"], counts["SOLD"], counts["AVAILABLE"]) != (h, s, a):
                api_bad.append((schedule_id, counts))
        detail += f"; seat map over HTTP agrees for {len(rows) - len(api_bad)} of {len(rows)}"
    if bad:
        detail += f"; wrong in {[r[0] for r in bad][:10]}"
    if api_bad:
        detail += f"; HTTP differs: {api_bad[:3]}"
    return not bad and not api_bad, detail


# --- 4. FIFO: a sequential model over the log --------------------------------------------

class Hall:
    """One schedule's seats as a sequential first-come-first-served decider sees them."""

    def __init__(self, seats):
        # seats: (id, row_number, seat_number, grade), any order
        self.rows = {}
        for seat_id, row, number, grade in seats:
            self.rows.setdefault(row, []).append((number, seat_id, grade))
        self.order = sorted(self.rows)
        for row in self.order:
            self.rows[row].sort()
        self.where = {}  # seat id -> (row, index)
        for row in self.order:
            for i, (_, seat_id, _) in enumerate(self.rows[row]):
                self.where[seat_id] = (row, i)
        self.holder = {}  # seat id -> reservation id
        self.reservations = {}  # id -> [user, seats, expires_at_ms, paid]
        self.user_seats = {}
        self.due = []  # (expires_at_ms, reservation id), a heap
        self.best_run = {row: self._runs(row) for row in self.order}

    def _runs(self, row):
        """Longest run of adjacent free seats in the row: {None: any grade, grade: that grade}
        (a seat of another grade breaks a grade's run)."""
        best, runs, prev = {}, {}, None
        for number, seat_id, grade in self.rows[row]:
            adjacent = prev is not None and number == prev + 1
            free = seat_id not in self.holder
            for key in list(runs):
                if key is not None and key != grade:
                    runs[key] = 0
            for key in (None, grade):
                runs[key] = (runs.get(key, 0) + 1 if adjacent else 1) if free else 0
                best[key] = max(best.get(key, 0), runs[key])
            prev = number
        return best

    def expire_due(self, now_ms):
        """Unpaid holds whose time is up at now_ms end, as time passes before a command."""
        while self.due and self.due[0][0] <= now_ms:
            expires, rid = heapq.heappop(self.due)
            r = self.reservations.get(rid)
            if r is not None and not r[3] and r[2] == expires:
                self.end(rid)

    def end(self, rid):
        user, seats, _, _ = self.reservations.pop(rid)
        for seat_id in seats:
            del self.holder[seat_id]
        self.user_seats[user] -= len(seats)
        for row in {self.where[s][0] for s in seats}:
            self.best_run[row] = self._runs(row)

    def hold(self, rid, user, seats, expires_ms):
        for seat_id in seats:
            self.holder[seat_id] = rid
        self.reservations[rid] = [user, list(seats), expires_ms, False]
        heapq.heappush(self.due, (expires_ms, rid))
        self.user_seats[user] = self.user_seats.get(user, 0) + len(seats)
        for row in {self.where[s][0] for s in seats}:
            self.best_run[row] = self._runs(row)

    def pick_best(self, quantity, grade):
        """What worker/decide.c's best-available gives: the front-most row with a block of
        `quantity` adjacent free seats of the grade, the block nearest the row's middle
        (lower numbers first on a tie); else SOLD_OUT or NO_ADJACENT_SEATS."""
        any_free = False
        for row in self.order:
            best = self.best_run[row].get(grade, 0)
            any_free |= best > 0
            if best < quantity:
                continue
            seats = self.rows[row]
            centre2 = seats[0][0] + seats[-1][0]
            best_start, best_distance, run = None, 0, 0
            for i, (number, seat_id, g) in enumerate(seats):
                adjacent = i > 0 and number == seats[i - 1][0] + 1
                wanted = seat_id not in self.holder and (grade is None or g == grade)
                run = (run + 1 if adjacent else 1) if wanted else 0
                if run < quantity:
                    continue
                start = i - quantity + 1
                distance = abs(seats[start][0] + number - centre2)
                if best_start is None or distance < best_distance:
                    best_start, best_distance = start, distance
            return None, [seats[k][1] for k in range(best_start, best_start + quantity)]
        return ("NO_ADJACENT_SEATS" if any_free else "SOLD_OUT"), None


def read_log(brokers, topic):
    """{partition: [(offset, command dict)]} from offset 0 to the end."""
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "ft-check-" + secrets.token_hex(4),
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    meta = consumer.list_topics(topic, timeout=10).topics[topic]
    if meta.error is not None:
        raise SystemExit(f"topic {topic}: {meta.error}")
    ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)
            for p in meta.partitions}
    log = {p: [] for p in ends}
    wanted = [TopicPartition(topic, p, lo) for p, (lo, hi) in ends.items() if hi > lo]
    if wanted:
        consumer.assign(wanted)
    left = {p for p, (lo, hi) in ends.items() if hi > lo}
    deadline = time.monotonic() + 300
    while left and time.monotonic() < deadline:
        for msg in consumer.consume(10000, 1.0):
            if msg.error():
                continue
            p = msg.partition()
            if msg.offset() < ends[p][1]:
                log[p].append((msg.offset(), json.loads(msg.value())))
            if msg.offset() + 1 >= ends[p][1]:
                left.discard(p)
    consumer.close()
    if left:
        raise SystemExit(f"could not read partitions {sorted(left)} of {topic} to their end")
    first = {p: lo for p, (lo, _) in ends.items()}
    return log, first


def check_fifo(db, brokers, topic):
    log, first = read_log(brokers, topic)
    truncated = [p for p, lo in first.items() if lo > 0]
    if truncated:
        return None, f"n/a: partitions {truncated} no longer start at offset 0 (retention): the log is not whole"
    seats = {}
    for seat_id, schedule_id, row, number, grade in db.rows(
            "SELECT id, schedule_id, row_number, seat_number, grade FROM seats"):
        seats.setdefault(schedule_id, []).append((seat_id, row, number, grade))
    open_schedules = {r[0] for r in db.rows("SELECT id FROM schedules WHERE status = 'OPEN'")}
    paid = {r[0] for r in db.rows("SELECT id FROM reservations WHERE paid_at IS NOT NULL")}
    outcomes = {token: rest for token, *rest in db.rows(
        "SELECT token, partition, log_offset, status, reject_code, reservation_id FROM request_outcomes")}
    held_seats = {}
    for rid, seat_id in db.rows("SELECT reservation_id, seat_id FROM reservation_seats"):
        held_seats.setdefault(rid, set()).add(seat_id)

    halls = {}
    checked = overtakes = undecided = 0
    examples = []
    for partition, messages in log.items():
        for offset, cmd in messages:
            schedule = cmd.get("scheduleId")
            if schedule not in halls:
                halls[schedule] = Hall(seats.get(schedule, []))
            hall = halls[schedule]
            hall.expire_due(cmd["ts"])
            kind = cmd.get("type")
            if kind == "CANCEL":
                r = hall.reservations.get(cmd["reservationId"])
                if r is not None and r[0] == cmd["userId"]:
                    hall.end(cmd["reservationId"])
                continue
            if kind == "CONFIRM_PAYMENT":
                r = hall.reservations.get(cmd["reservationId"])
                if r is not None and cmd["reservationId"] in paid:
                    r[3] = True  # paid: it no longer expires
                continue
            if kind != "RESERVE":
                continue
            got = outcomes.get(cmd["token"])
            if got is None or tuple(got[:2]) != (partition, offset):
                undecided += 1
                continue
            checked += 1
            wanted = cmd.get("seatIds")
            count = len(wanted) if wanted else cmd["quantity"]
            expected, chosen = None, None
            if not seats.get(schedule):
                expected = "UNKNOWN_SCHEDULE"
            elif schedule not in open_schedules:
                expected = "SCHEDULE_CLOSED"
            elif hall.user_seats.get(cmd["userId"], 0) + count > SEAT_LIMIT:
                expected = "LIMIT_EXCEEDED"
            elif wanted:
                if any(s not in hall.where for s in wanted) or len(set(wanted)) != len(wanted):
                    expected = "UNKNOWN_SEAT"
                elif any(s in hall.holder for s in wanted):
                    expected = "SEAT_TAKEN"
                else:
                    chosen = wanted
            else:
                expected, chosen = hall.pick_best(count, cmd.get("grade"))
            _, _, status, code, rid = got
            actual_seats = held_seats.get(rid, set()) if status == "HELD" else None
            ok = (status == "REJECTED" and code == expected) or \
                 (status == "HELD" and expected is None and actual_seats == set(chosen))
            if not ok:
                overtakes += 1
                if len(examples) < 5:
                    examples.append({"partition": partition, "offset": offset, "got": [status, code],
                                     "model": expected or sorted(chosen)})
            if status == "HELD":  # follow the worker, so that one difference is counted once
                hall.hold(rid, cmd["userId"], sorted(actual_seats), cmd["ts"] + cmd["holdSeconds"] * 1000)
    detail = f"{checked} requests checked in log order against the model, {overtakes} differ"
    if undecided:
        detail += f", {undecided} in the log without their outcome"
    if examples:
        detail += f"; first: {examples}"
    return overtakes == 0 and undecided == 0, detail


# --- 5. replay digest = live digest ------------------------------------------------------

def caught_up(db, brokers, topic):
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "ft-check-" + secrets.token_hex(4)})
    meta = consumer.list_topics(topic, timeout=10).topics[topic]
    ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
            for p in meta.partitions}
    consumer.close()
    done = dict(db.rows("SELECT partition, next_offset FROM partition_offsets WHERE topic = %s", topic))
    return all(done.get(p, 0) >= end for p, end in ends.items() if end > 0)


def check_replay(db, args):
    env = dict(os.environ, FT_DATABASE_URL=db.url, FT_TOPIC_COMMANDS=args.topic, FT_KAFKA_BROKERS=args.brokers,
               FT_LOG_LEVEL="warn")
    live = subprocess.run([args.admin_bin, "digest"], env=env, capture_output=True, text=True, timeout=120)
    if live.returncode != 0:
        return False, f"ft-admin digest failed: {live.stderr.strip()[-500:]}"
    name = f"ft_check_{secrets.token_hex(4)}"
    admin = psycopg2.connect(args.admin_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}" OWNER "{db.conn.info.user}"')
    target = db.url.rsplit("/", 1)[0] + "/" + name
    try:
        subprocess.run([os.path.join(ROOT, "deploy", "local", "migrate.sh"), target], check=True, capture_output=True)
        dump = subprocess.run(["pg_dump", "--data-only", "--no-owner"] + [f"--table={t}" for t in CATALOG] + [db.url],
                              capture_output=True, check=True)
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", target], input=dump.stdout,
                       capture_output=True, check=True)
        started = time.monotonic()
        replay = subprocess.run([args.worker_bin, "--replay"], env=dict(env, FT_DATABASE_URL=target),
                                capture_output=True, text=True, timeout=1800)
        seconds = time.monotonic() - started
        if replay.returncode != 0:
            return False, f"ft-worker --replay failed: {replay.stderr.strip()[-500:]}"
        same = replay.stdout.strip() == live.stdout.strip()
        return same, f"live {live.stdout.strip()[:16]}…, replayed {replay.stdout.strip()[:16]}… in {seconds:.1f} s"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# --- 6. failed payments refunded exactly once --------------------------------------------

# How many times PortOne must have refunded a payment that was not honoured (and how many
# successful attempts the outbox must show for it). A constant, so that a quick check can
# set a wrong one and watch the check fail.
REFUNDS_PER_FAILED_PAYMENT = 1


def portone_control(url, path):
    with urllib.request.urlopen(f"{url}/__control/{path}", timeout=30) as resp:
        return json.load(resp)


def payments_settled(db):
    """No refund still due and no payment still waiting for the worker."""
    if not db.has_table("refunds"):
        return True
    return db.value("SELECT (SELECT count(*) FROM refunds WHERE status = 'DUE') + "
                    "(SELECT count(*) FROM payments WHERE status = 'CONFIRMING')") == 0


def check_refunds(db, portone=None, summaries=()):
    """From PostgreSQL: every payment not honoured has its refund, every refund is DONE with
    exactly one successful attempt (REFUNDED, or ALREADY_REFUNDED after an answer that was
    lost), no honoured payment has one, and the payment rows agree. From the imitation (with
    `portone`): PortOne refunded every refunded payment exactly once, in full, and no PAID
    one, and nothing else. From the load generators' summaries: every payment made with the
    wrong amount was refused and refunded."""
    want = REFUNDS_PER_FAILED_PAYMENT
    if not db.has_table("payments") or db.value("SELECT count(*) FROM payments WHERE imp_uid IS NOT NULL") == 0:
        return None, "n/a: no payments in this run"
    if not db.has_table("refunds") or not db.has_table("refund_attempts"):
        return False, "payments exist but there is no refunds or refund_attempts table"
    problems = []

    def problem(count, what, examples=()):
        if count:
            problems.append(f"{count} {what}" + (f" (e.g. {sorted(examples)[:3]})" if examples else ""))

    payments = dict(db.rows("SELECT imp_uid, status FROM payments WHERE imp_uid IS NOT NULL"))
    # imp_uid -> (status, reason, amount, successful attempts)
    refunds = {imp: tuple(rest) for imp, *rest in db.rows(
        "SELECT r.imp_uid, r.status, r.reason, r.amount, "
        "count(a.*) FILTER (WHERE a.result IN ('REFUNDED', 'ALREADY_REFUNDED')) "
        "FROM refunds r LEFT JOIN refund_attempts a ON a.refund_id = r.id GROUP BY r.id")}
    failed = {imp for imp, status in payments.items() if status in ("REFUND_DUE", "REFUNDED")}
    paid = {imp for imp, status in payments.items() if status == "PAID"}
    missing = failed - refunds.keys()
    problem(len(missing), "failed payments without a refund", missing)
    due = {imp for imp, r in refunds.items() if r[0] != "DONE"}
    problem(len(due), "refunds still due", due)
    not_once = {imp for imp, r in refunds.items() if r[0] == "DONE" and r[3] != want}
    problem(len(not_once), f"done refunds without exactly {want} successful attempt(s)", not_once)
    of_paid = paid & refunds.keys()
    problem(len(of_paid), "refunds of honoured (PAID) payments", of_paid)
    astray = {imp for imp, r in refunds.items() if r[0] == "DONE" and payments.get(imp, "REFUNDED") != "REFUNDED"}
    problem(len(astray), "done refunds whose payment is not REFUNDED", astray)
    confirming = sum(1 for status in payments.values() if status == "CONFIRMING")
    problem(confirming, "payments still CONFIRMING")
    detail = f"{len(payments)} payments: {len(paid)} paid, {len(failed)} not honoured; {len(refunds)} refunds " \
             f"({', '.join(f'{n} {k}' for k, n in sorted(Counter(r[1] for r in refunds.values()).items()))})"

    if portone:
        cancels = portone_control(portone, "cancels")
        applied = Counter(c["imp_uid"] for c in cancels["cancels"] if c["outcome"] == "cancelled")
        problem(int(sum(applied.values()) != cancels["applied"]), "imitation's cancel log out of step with its count")
        refunded = {imp for imp, r in refunds.items() if r[0] == "DONE"}
        wrong_count = {imp for imp in refunded if applied.get(imp, 0) != want}
        problem(len(wrong_count), f"refunded payments PortOne did not refund exactly {want} time(s)", wrong_count)
        paid_refunded = {imp for imp in paid if applied.get(imp, 0) != 0}
        problem(len(paid_refunded), "PAID payments PortOne refunded", paid_refunded)
        unknown = applied.keys() - refunds.keys()
        problem(len(unknown), "refunds at PortOne that no refund row decided", unknown)
        at_portone = {p["imp_uid"]: p for p in portone_control(portone, "payments")["payments"]}
        # In full: what PortOne took back is what was paid, and what the refund row says.
        not_whole = {imp for imp in refunded if imp in at_portone and
                     (at_portone[imp]["status"] != "cancelled" or
                      not at_portone[imp]["cancel_amount"] == at_portone[imp]["amount"] == refunds[imp][2])}
        problem(len(not_whole), "refunded payments not cancelled in full at PortOne", not_whole)
        touched = {imp for imp in paid if imp in at_portone and
                   (at_portone[imp]["status"] != "paid" or at_portone[imp]["cancel_amount"] != 0)}
        problem(len(touched), "PAID payments not whole at PortOne", touched)
        detail += f"; PortOne refunded {len(applied)} payment(s) {sum(applied.values())} time(s)"

    wrong = set()
    for path in summaries:
        with open(path, encoding="utf-8") as f:
            doc = json.loads(f.read().strip().splitlines()[-1])
        wrong |= set(doc.get("payments", {}).get("wrong_amount_imp_uids", []))
    if wrong:
        unrefunded = {imp for imp in wrong if refunds.get(imp, ("", ""))[:2] != ("DONE", "AMOUNT_MISMATCH")}
        problem(len(unrefunded), "wrong-amount payments of the load generator not refunded for AMOUNT_MISMATCH",
                unrefunded)
        detail += f"; {len(wrong) - len(unrefunded)} of {len(wrong)} wrong-amount payments refunded"
    if problems:
        detail += "; " + "; ".join(problems)
    return not problems, detail


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("FT_DATABASE_URL",
                                                                 "postgresql://fairticket@127.0.0.1:25432/fairticket"))
    parser.add_argument("--admin-url", default=os.environ.get("FT_PG_ADMIN_URL",
                                                              "postgresql://postgres@127.0.0.1:25432/postgres"))
    parser.add_argument("--brokers", default=os.environ.get("FT_KAFKA_BROKERS", "127.0.0.1:29092"))
    parser.add_argument("--topic", default=os.environ.get("FT_TOPIC_COMMANDS", "ft.reservation-commands"))
    parser.add_argument("--summary", action="append", default=[], help="ft-loadgen's JSON summary (repeatable)")
    parser.add_argument("--tokens", action="append", default=[], help="ft-loadgen --tokens-out file (repeatable)")
    parser.add_argument("--base", help="the ingress, to compare its seat map")
    parser.add_argument("--portone", help="the PortOne imitation the stack paid through, to count its refunds")
    parser.add_argument("--replay", action="store_true", help="also replay the log and compare digests")
    parser.add_argument("--worker-bin", default=os.path.join(ROOT, "build", "release", "bin", "ft-worker"))
    parser.add_argument("--admin-bin", default=os.path.join(ROOT, "build", "release", "bin", "ft-admin"))
    parser.add_argument("--wait", type=float, default=60,
                        help="seconds to wait for the worker to catch up and due refunds to be done")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    args = parser.parse_args()

    db = Db(args.database_url)
    deadline = time.monotonic() + args.wait
    while not (caught_up(db, args.brokers, args.topic) and payments_settled(db)) and time.monotonic() < deadline:
        time.sleep(0.5)
    results = {}
    checks = [("no seat in two live reservations", lambda: check_double_booking(db)),
              ("every 202 token resolved", lambda: check_tokens(db, args.summary, args.tokens)),
              ("held + sold + available = total", lambda: check_seat_counts(db, args.base)),
              ("FIFO overtakes = 0", lambda: check_fifo(db, args.brokers, args.topic)),
              ("replay digest = live digest", (lambda: check_replay(db, args)) if args.replay else
               (lambda: (None, "n/a: not asked (--replay)"))),
              ("failed payments refunded exactly once", lambda: check_refunds(db, args.portone, args.summary))]
    if not caught_up(db, args.brokers, args.topic):
        results["worker caught up with the log"] = (False, f"not within {args.wait} s")
    for name, check in checks:
        results[name] = check()
    failed = False
    for name, (ok, detail) in results.items():
        mark = "n/a " if ok is None else "ok  " if ok else "FAIL"
        failed |= ok is False
        print(f"{mark} {name}: {detail}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({name: {"ok": ok, "detail": detail} for name, (ok, detail) in results.items()}, f)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
