"""Helpers of the reservation tests: Kafka end offsets and messages (Debian's
python3-confluent-kafka), private topic pairs, extra ingress processes (a private one on
its own topics, or one whose Kafka is unreachable), and writing outcome and progress
messages the way the worker does."""
import json
import os
import secrets
import signal
import socket
import subprocess
import time

import requests
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from ft_support import JWT_SECRET, MAX_BODY, Api
from kafka_topics import create_topics, delete_topics
from service import SANITIZER_MARKS

BROKERS = os.environ["FT_KAFKA_BROKERS"]
RESERVE = "/api/v1/reservations"


def poll_path(token):
    return f"/api/v1/reservations/requests/{token}"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Kafka:
    """Reads what is in a topic, without joining any group."""

    def __init__(self, brokers=BROKERS):
        self.consumer = Consumer({"bootstrap.servers": brokers, "group.id": "ft-it-probe-" + secrets.token_hex(4),
                                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})

    def partitions(self, topic):
        meta = self.consumer.list_topics(topic, timeout=10).topics[topic]
        assert meta.error is None, f"topic {topic}: {meta.error}"
        return len(meta.partitions)

    def ends(self, topic):
        """{partition: end offset} of every partition of topic."""
        return {p: self.consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
                for p in range(self.partitions(topic))}

    def read(self, topic, partition, offset):
        """The message at (partition, offset)."""
        self.consumer.assign([TopicPartition(topic, partition, offset)])
        deadline = time.monotonic() + 15
        try:
            while time.monotonic() < deadline:
                msg = self.consumer.poll(0.5)
                if msg is None or msg.error():
                    continue
                assert msg.offset() == offset, (msg.offset(), offset)
                return msg
            raise AssertionError(f"no message at {topic}/{partition}/{offset}")
        finally:
            self.consumer.unassign()

    def close(self):
        self.consumer.close()


class TopicPair:
    """A fresh commands/outcomes pair, so a test's messages reach no other test."""

    def __init__(self, partitions=4):
        suffix = secrets.token_hex(4)
        self.commands = f"ft.it.ingress.commands.{suffix}"
        self.outcomes = f"ft.it.ingress.outcomes.{suffix}"
        self.partitions = partitions
        self.admin = AdminClient({"bootstrap.servers": BROKERS})
        create_topics(self.admin, [self.commands, self.outcomes], partitions)
        self.producer = Producer({"bootstrap.servers": BROKERS, "enable.idempotence": True})

    def publish(self, partition, key, doc):
        """Writes one message to the outcomes topic, JSON as the worker writes it
        (compact, "type" first)."""
        self.producer.produce(self.outcomes, json.dumps(doc, separators=(",", ":")).encode(), key=key.encode(),
                              partition=partition)
        assert self.producer.flush(30) == 0

    def progress(self, partition, next_offset, rate=0.0):
        self.publish(partition, "progress", {"type": "progress", "partition": partition, "nextOffset": next_offset,
                                             "ratePerSec": float(rate)})

    def outcome(self, token, user_id, schedule_id, partition, offset, status, **fields):
        doc = {"type": "outcome", "token": token, "userId": user_id, "scheduleId": schedule_id,
               "partition": partition, "offset": offset, "status": status,
               "decidedAt": int(time.time() * 1000)}
        doc.update(fields)
        self.publish(partition, token, doc)

    def delete(self):
        delete_topics(self.admin, [self.commands, self.outcomes])


class Ingress:
    """One more ft-ingress process, next to the session's server."""

    def __init__(self, log_dir, name="ingress", **settings):
        self.port = free_port()
        self.log_path = os.path.join(log_dir, f"{name}-{self.port}.log")
        env = dict(os.environ, FT_HTTP_ADDR="127.0.0.1", FT_HTTP_PORT=str(self.port),
                   FT_DATABASE_URL=os.environ["FT_TEST_DATABASE_URL"], FT_JWT_SECRET=JWT_SECRET,
                   FT_JWT_TTL_SECONDS="3600", FT_HTTP_MAX_BODY_BYTES=str(MAX_BODY), FT_LOG_LEVEL="info")
        env.update(settings)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([os.environ["FT_INGRESS_BIN"]], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.api = Api(f"http://127.0.0.1:{self.port}", self.port)
        self._wait_healthy()

    def text(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def tail(self, lines=60):
        return "\n".join(self.text().splitlines()[-lines:])

    def _wait_healthy(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"ingress exited with {self.proc.returncode}:\n{self.tail()}"
            try:
                if requests.get(self.api.base + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"ingress not healthy after {timeout}s:\n{self.tail()}")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.log.close()

    def stop(self, timeout=20):
        """SIGTERM: must exit 0 within timeout, with no sanitizer report."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"ingress still running {timeout}s after SIGTERM:\n{self.tail()}")
        self.log.close()
        assert code == 0, f"ingress exited with {code} after SIGTERM:\n{self.tail()}"
        found = [mark for mark in SANITIZER_MARKS if mark in self.text()]
        assert not found, f"sanitizer reports {found}:\n{self.tail(200)}"
        return code
