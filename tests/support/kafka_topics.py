"""A test's own Kafka topics, created and then waited for, and deleted at its end.

CreateTopics answers once the controller has the topics; the broker's metadata can list
them a moment later. Right after the broker started, an ingress started in that moment
was told its outcomes topic did not exist and refused to start. So creating waits until
the metadata shows every topic with a leader for each partition."""
import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import NewTopic


def create_topics(admin, names, partitions, timeout=30.0):
    """Creates the topics (replication 1) on the AdminClient `admin` and returns once the
    broker's metadata lists them all with a leader for each of their partitions."""
    for future in admin.create_topics([NewTopic(name, partitions, 1) for name in names]).values():
        future.result(timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        listed = admin.list_topics(timeout=timeout).topics
        missing = [name for name in names
                   if name not in listed or listed[name].error is not None
                   or len(listed[name].partitions) != partitions
                   or any(p.leader < 0 for p in listed[name].partitions.values())]
        if not missing:
            return
        assert time.monotonic() < deadline, f"topics created but not in the broker's metadata: {missing}"
        time.sleep(0.05)


def delete_topics(admin, names, timeout=30.0):
    """Deletes the topics; one that cannot be deleted is left behind (it costs the broker
    its partitions, nothing else)."""
    try:
        for future in admin.delete_topics(list(names)).values():
            future.result(timeout=timeout)
    except KafkaException:
        pass
