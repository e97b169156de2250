"""Helpers of the pipeline tests: a private topic pair per test, commands produced the
way the ingress produces them, workers started and killed, and database checks."""
import json
import os
import re
import secrets
import time

import jsonschema
import psycopg2
import requests
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from databases import create_database, drop_database
from kafka_topics import create_topics, delete_topics
from request_token import new_request_token as new_token  # noqa: F401 (the tests import it from here)
from service import Service

BROKERS = os.environ["FT_KAFKA_BROKERS"]
DB_URL = os.environ["FT_TEST_DATABASE_URL"]
WORKER_BIN = os.environ["FT_WORKER_BIN"]
SCHEMAS = os.path.join(os.environ["FT_REPO_ROOT"], "schemas", "messages")
with open(os.path.join(SCHEMAS, "command.schema.json"), encoding="utf-8") as f:
    COMMAND_SCHEMA = jsonschema.Draft202012Validator(json.load(f))
with open(os.path.join(SCHEMAS, "outcome.schema.json"), encoding="utf-8") as f:
    OUTCOME_SCHEMA = jsonschema.Draft202012Validator(json.load(f))


def now_ms():
    return int(time.time() * 1000)


class Topics:
    """A commands/outcomes pair of fresh topics, so tests never see each other's commands."""

    def __init__(self, partitions=4):
        suffix = secrets.token_hex(4)
        self.commands = f"ft.it.commands.{suffix}"
        self.outcomes = f"ft.it.outcomes.{suffix}"
        self.group = f"ft.it.workers.{suffix}"
        self.partitions = partitions
        admin = AdminClient({"bootstrap.servers": BROKERS})
        create_topics(admin, [self.commands, self.outcomes], partitions)
        self.producer = Producer({"bootstrap.servers": BROKERS, "enable.idempotence": True, "linger.ms": 5})

    def delete(self):
        """Deletes both topics; a topic that could not be deleted is only left behind."""
        self.producer.flush(10)
        delete_topics(AdminClient({"bootstrap.servers": BROKERS}), [self.commands, self.outcomes])

    def send(self, cmd):
        """Produces one command to its schedule's partition; returns the command."""
        COMMAND_SCHEMA.validate(cmd)
        self.producer.produce(self.commands, json.dumps(cmd).encode(), key=str(cmd["scheduleId"]).encode(),
                              partition=cmd["scheduleId"] % self.partitions)
        return cmd

    def flush(self):
        assert self.producer.flush(30) == 0, "commands not acknowledged by Kafka"

    def end_offsets(self):
        consumer = Consumer({"bootstrap.servers": BROKERS, "group.id": "ft.it.offsets"})
        ends = {p: consumer.get_watermark_offsets(TopicPartition(self.commands, p), timeout=10)[1]
                for p in range(self.partitions)}
        consumer.close()
        return ends

    def published_outcomes(self):
        """Every outcome message on the outcomes topic, in order, as (token, document)."""
        seen = []
        for doc in self.messages(self.outcomes):
            OUTCOME_SCHEMA.validate(doc)  # what the worker publishes keeps its documented form
            if doc["type"] == "outcome":
                seen.append(doc)
        return seen

    def messages(self, topic):
        """Every message on one of the two topics, as documents, in order per partition."""
        consumer = Consumer({"bootstrap.servers": BROKERS, "group.id": "ft.it.reader." + secrets.token_hex(4),
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in range(self.partitions)}
        consumer.assign([TopicPartition(topic, p, 0) for p in range(self.partitions)])
        seen, done = [], {p for p, end in ends.items() if end == 0}
        deadline = time.monotonic() + 30
        while len(done) < self.partitions and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            seen.append(json.loads(msg.value()))
            if msg.offset() + 1 >= ends[msg.partition()]:
                done.add(msg.partition())
        consumer.close()
        return seen


def reserve(token, user, schedule, ts, seat_ids=None, quantity=None, hold_seconds=300):
    cmd = {"v": 1, "type": "RESERVE", "ts": ts, "scheduleId": schedule, "userId": user, "token": token,
           "holdSeconds": hold_seconds}
    if seat_ids is not None:
        cmd["seatIds"] = seat_ids
    else:
        cmd["quantity"] = quantity
    return cmd


def cancel(user, schedule, reservation_id, ts):
    return {"v": 1, "type": "CANCEL", "ts": ts, "scheduleId": schedule, "userId": user,
            "reservationId": reservation_id}


def expire(schedule, reservation_id, ts):
    return {"v": 1, "type": "EXPIRE", "ts": ts, "scheduleId": schedule, "reservationId": reservation_id}


def confirm_payment(user, schedule, reservation_id, ts, imp_uid, amount):
    """The ingress's command for a payment PortOne confirmed (its order's merchant_uid made up)."""
    return {"v": 1, "type": "CONFIRM_PAYMENT", "ts": ts, "scheduleId": schedule, "userId": user,
            "reservationId": reservation_id, "impUid": imp_uid, "merchantUid": f"ft-{reservation_id}-test",
            "amount": amount}


def fresh_database():
    """Creates and migrates a database named after a random tag; returns (url, drop)."""
    name = "ft_pipeline_" + secrets.token_hex(4)
    admin = psycopg2.connect(DB_URL)
    admin.autocommit = True
    url = create_database(admin, DB_URL, name)

    def drop():
        drop_database(admin, name)
        admin.close()
    return url, drop


class Db:
    def __init__(self, url):
        self.url = url
        self.conn = psycopg2.connect(url)
        self.conn.autocommit = True

    def rows(self, sql, *args):
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def value(self, sql, *args):
        return self.rows(sql, *args)[0][0]

    def users(self, count):
        """Plain users made directly in the table: the worker only needs their ids."""
        tag = secrets.token_hex(4)
        return [r[0] for r in self.rows(
            "INSERT INTO users (email, password_hash, name) "
            "SELECT 'w' || g || '-' || %s || '@example.com', 'x', 'buyer ' || g FROM generate_series(1, %s) g "
            "RETURNING id", tag, count)]

    def schedule(self, rows=5, seats_per_row=10, status="OPEN"):
        """A schedule with rows x seats (grades VIP, R, S, A from the front); returns (id, seat ids by row)."""
        venue = self.value("INSERT INTO venues (name) VALUES ('pipeline hall') RETURNING id")
        grades = ["VIP", "R", "S", "A"]
        for r in range(1, rows + 1):
            self.rows("INSERT INTO venue_rows VALUES (%s, %s, %s, %s, %s) RETURNING 1", venue, r, seats_per_row,
                      grades[min(r - 1, 3)], 10000 * (5 - min(r - 1, 3)))
        concert = self.value("INSERT INTO concerts (title, artist) VALUES ('t', 'a') RETURNING id")
        schedule = self.value("INSERT INTO schedules (concert_id, venue_id, starts_at, status) "
                              "VALUES (%s, %s, now() + interval '30 days', %s) RETURNING id", concert, venue, status)
        self.rows("INSERT INTO seats (schedule_id, row_number, seat_number, grade, price) "
                  "SELECT %s, r.row_number, n, r.grade, r.price FROM venue_rows r, generate_series(1, r.seat_count) n "
                  "WHERE r.venue_id = %s RETURNING 1", schedule, venue)
        seats = {}
        for seat_id, row in self.rows("SELECT id, row_number FROM seats WHERE schedule_id = %s "
                                      "ORDER BY row_number, seat_number", schedule):
            seats.setdefault(row, []).append(seat_id)
        return schedule, seats

    def decided_offsets(self, topic):
        return dict(self.rows("SELECT partition, next_offset FROM partition_offsets WHERE topic = %s", topic))

    def outcomes(self, tokens):
        return {r[0]: r[1:] for r in self.rows(
            "SELECT token, status, reject_code, reservation_id, log_offset FROM request_outcomes "
            "WHERE token = ANY(%s)", list(tokens))}

    def seats_in_two_live_reservations(self):
        return self.value("SELECT count(*) FROM (SELECT seat_id FROM reservation_seats WHERE live "
                          "GROUP BY seat_id HAVING count(*) > 1) x")


def Worker(topics, db_url, log_dir, name="worker", **settings):
    """An ft-worker process on the given topics (sanitizer build)."""
    env = dict(os.environ, FT_DATABASE_URL=db_url, FT_KAFKA_BROKERS=BROKERS,
               FT_TOPIC_COMMANDS=topics.commands, FT_TOPIC_OUTCOMES=topics.outcomes,
               FT_WORKER_GROUP=topics.group, FT_LOG_LEVEL="info", FT_WORKER_HTTP_PORT="0")
    env.update({k: str(v) for k, v in settings.items()})
    return Service(WORKER_BIN, log_dir, name, env)


def wait_for(condition, what, timeout=20):
    """Waits until condition() holds; fails naming `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.1)


def worker_metric(port, name):
    """One counter or gauge of the worker whose ops port is `port`."""
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return int(re.search(rf"^{name} (\d+)$", text, re.M).group(1))


def wait_decided(db, topics, timeout=60):
    """Waits until every produced command is decided (the stored offsets reach the ends)."""
    ends = topics.end_offsets()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        decided = db.decided_offsets(topics.commands)
        if all(decided.get(p, 0) >= end for p, end in ends.items()):
            return
        time.sleep(0.2)
    raise AssertionError(f"not decided in {timeout}s: ends {ends}, decided {db.decided_offsets(topics.commands)}")


def store_ended_reservation(db, reservation_id, user_id, schedule_id):
    """A reservation that expired an hour ago, stored by hand with the given id (as an old
    log's hold, or a hand-made repair, would leave it)."""
    db.rows("INSERT INTO reservations (id, user_id, schedule_id, status, amount, held_at, expires_at, ended_at)"
            " OVERRIDING SYSTEM VALUE VALUES (%s, %s, %s, 'EXPIRED', 1000, now() - interval '1 hour',"
            " now() - interval '55 minutes', now() - interval '55 minutes') RETURNING 1",
            reservation_id, user_id, schedule_id)
