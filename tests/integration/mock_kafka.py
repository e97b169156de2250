"""A stand-in Kafka cluster for fault tests of the client code: librdkafka's own mock
cluster (test.mock.num.brokers), started inside this process and reachable by others over
TCP. Creates the topics named on the command line (4 partitions each), prints the
bootstrap address on one line, then lives until its standard input closes or it is
killed — killing it is how a test makes Kafka vanish under a running ingress.

    python3 mock_kafka.py TOPIC...
"""
import sys

from confluent_kafka import Producer


def main(topics):
    producer = Producer({"test.mock.num.brokers": 1, "bootstrap.servers": "", "log_level": 0})
    for topic in topics:  # the mock creates a topic the first time it is asked about
        meta = producer.list_topics(topic, timeout=10).topics[topic]
        if meta.error is not None or not meta.partitions:
            sys.exit(f"mock cluster: topic {topic}: {meta.error}")
    broker = next(iter(producer.list_topics(timeout=10).brokers.values()))
    print(f"{broker.host}:{broker.port}", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main(sys.argv[1:])
