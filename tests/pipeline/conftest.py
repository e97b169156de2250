import os
import sys

# The helpers both test folders share (tests/support/: service.py, request_token.py, databases.py,
# kafka_topics.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))

import pytest

REQUIRED = ("FT_WORKER_BIN", "FT_TEST_DATABASE_URL", "FT_KAFKA_BROKERS")


def pytest_configure(config):
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        raise pytest.UsageError("pipeline tests need (they never skip): " + ", ".join(missing))


@pytest.fixture
def db():
    """A fresh, migrated database of the test's own (dropped afterwards)."""
    from pipeline_support import Db, fresh_database
    url, drop = fresh_database()
    database = Db(url)
    yield database
    database.conn.close()
    drop()


@pytest.fixture
def topics():
    """A fresh commands/outcomes pair, deleted afterwards: each pair costs the broker its
    partitions for as long as it lives, and a development broker lives long."""
    from pipeline_support import Topics
    pair = Topics()
    yield pair
    pair.delete()


@pytest.fixture
def workers(tmp_path):
    """Starts workers on demand; at the end every one still running must stop cleanly."""
    from pipeline_support import Worker
    started = []

    def start(topic_pair, database, **settings):
        worker = Worker(topic_pair, database.url, str(tmp_path), name=f"worker{len(started)}", **settings)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if not worker.log.closed:
            worker.stop()
